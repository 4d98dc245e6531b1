from tests.hosted.conftest import pg_database  # noqa: F401  (tables of unmigrated models)
