"""Configuration from the environment.

Every setting has a safe development default except the secrets, which are
required outside development so that a bad deploy fails at start.
"""
import os


class ConfigError(RuntimeError):
    """A required setting is missing or invalid."""


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides=None, instance_path=None):
    """Build the Flask config mapping from environment variables and overrides."""
    env = os.environ
    overrides = dict(overrides or {})
    instance_path = instance_path or os.path.join(os.getcwd(), "instance")
    cfg = {
        "ENV": env.get("CHECKOUT_ENV", "development"),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "checkout.sqlite3")
        ),
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": env.get("SECRET_KEY"),
        "CHECKOUT_PUBLIC_URL": env.get("CHECKOUT_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "CHECKOUT_ENCRYPTION_KEY": env.get("CHECKOUT_ENCRYPTION_KEY"),
        "SIMULATOR_URL": env.get("SIMULATOR_URL", "http://127.0.0.1:5001").rstrip("/"),
        "RATE_LIMIT_PER_MINUTE": int(env.get("RATE_LIMIT_PER_MINUTE", "600")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "LANGUAGES": ["en", "fr", "pt"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "JSON_SORT_KEYS": False,
        "RQ_QUEUES": ["default"],
        "TESTING": False,
        "BENCH_ENDPOINTS": _bool(env.get("CHECKOUT_BENCH_ENDPOINTS")),
    }
    cfg.update(overrides)
    dev = cfg["ENV"] in {"development", "test"}
    if not cfg["SECRET_KEY"]:
        if not dev:
            raise ConfigError("SECRET_KEY is required outside development")
        cfg["SECRET_KEY"] = "dev-only-not-secret"
    if not cfg["CHECKOUT_ENCRYPTION_KEY"]:
        if not dev:
            raise ConfigError("CHECKOUT_ENCRYPTION_KEY is required outside development")
        # A fixed development key: test-mode credentials only, never live ones.
        cfg["CHECKOUT_ENCRYPTION_KEY"] = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE="
    cfg["SESSION_COOKIE_SECURE"] = cfg.get("SESSION_COOKIE_SECURE", not dev)
    cfg["DEVELOPMENT"] = dev
    return cfg
