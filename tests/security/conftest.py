import pytest

from tests.api.conftest import Api


@pytest.fixture
def api(client, merchant):
    return Api(client, merchant)
