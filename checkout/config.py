"""Configuration from the environment.

Production is the default: development (a fixed dev secret and encryption key, non-Secure
cookies, the demo pages, webhooks to this machine) is asked for explicitly with
``CHECKOUT_ENV=development`` (``scripts/run`` does), and refuses live keys and live gateway
accounts. ``test`` is the test suite's own environment: development's conveniences, live
mode allowed (so that test and live isolation can be tested). Outside them the secrets are
required, so that a bad deploy fails at start.
"""
import os

ENVIRONMENTS = ("production", "development", "test")


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
        "ENV": env.get("CHECKOUT_ENV", "production"),
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
        "LANGUAGES": ["en", "fr", "pt", "sw"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "JSON_SORT_KEYS": False,
        "RQ_QUEUES": ["default"],
        # Job runners per worker process: on the queues above (the main thread counts as
        # one), and on the queue of initiate calls that block (Vodacom's C2B, ~2 min).
        "WORKER_THREADS": _int(env, "WORKER_THREADS", 4),
        "WORKER_BLOCKING_THREADS": _int(env, "WORKER_BLOCKING_THREADS", 64),
        # Status calls a worker process runs at once (its poller; 0: no poller), and how
        # long a claimed poll is kept from other pollers (longer than any status call).
        "POLL_CONCURRENCY": _int(env, "POLL_CONCURRENCY", 256),
        "POLL_LEASE_SECONDS": _int(env, "POLL_LEASE_SECONDS", 60),
        # PostgreSQL connections one process keeps open, and may open beyond for a burst.
        "DATABASE_POOL_SIZE": _int(env, "DATABASE_POOL_SIZE", 10),
        "DATABASE_MAX_OVERFLOW": _int(env, "DATABASE_MAX_OVERFLOW", 10),
        # The bearer token of GET /metrics (Prometheus); unset: /metrics answers 404.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "TESTING": False,
        "BENCH_ENDPOINTS": _bool(env.get("CHECKOUT_BENCH_ENDPOINTS")),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are believed.
        "TRUSTED_PROXY_HOPS": _int(env, "TRUSTED_PROXY_HOPS", 0),
        # Webhooks to loopback/private addresses outside development (a documented opt-in).
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": _bool(env.get("WEBHOOK_ALLOW_PRIVATE_TARGETS")),
        # Request bodies: the whole app, and the merchant API's JSON (bytes).
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 256 * 1024),
        "API_MAX_BODY_BYTES": 64 * 1024,
        # Failed API authentications allowed per client address per minute.
        "AUTH_FAILURES_PER_MINUTE": _int(env, "AUTH_FAILURES_PER_MINUTE", 20),
        # Push payment requests: per checkout (its life) and per phone number (10 minutes).
        "PUSHES_PER_CHECKOUT": _int(env, "PUSHES_PER_CHECKOUT", 5),
        "PUSHES_PER_PHONE": _int(env, "PUSHES_PER_PHONE", 3),
        "PUSH_PHONE_WINDOW_SECONDS": 600,
        # The expiry our own link builders put on a signed link (the demo, the dashboard).
        "LINK_DEFAULT_TTL_SECONDS": 7 * 24 * 3600,
    }
    cfg.update(overrides)
    if cfg["ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"CHECKOUT_ENV must be one of {', '.join(ENVIRONMENTS)}, "
                          f"not {cfg['ENV']!r}")
    dev = cfg["ENV"] in {"development", "test"}
    missing = [name for name in ("SECRET_KEY", "CHECKOUT_ENCRYPTION_KEY") if not cfg[name]]
    if missing and not dev:
        raise ConfigError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required in "
            f"{cfg['ENV']} (CHECKOUT_ENV); set {'it' if len(missing) == 1 else 'them'} in the "
            "environment, or set CHECKOUT_ENV=development on a developer's machine")
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = "dev-only-not-secret"
    if not cfg["CHECKOUT_ENCRYPTION_KEY"]:
        # A fixed development key: test-mode credentials only, never live ones.
        cfg["CHECKOUT_ENCRYPTION_KEY"] = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE="
    cfg["SESSION_COOKIE_SECURE"] = cfg.get("SESSION_COOKIE_SECURE", not dev)
    cfg["DEVELOPMENT"] = dev
    # A developer's machine runs on fixed, public keys: never with real money.
    cfg["LIVE_MODE_ALLOWED"] = cfg["ENV"] != "development"
    return cfg


def _int(env, name, default):
    value = env.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
