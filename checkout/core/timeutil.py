"""UTC time helpers. Stored datetimes are naive UTC (SQLite keeps no zone)."""
from datetime import UTC, datetime


def utcnow():
    """Now, as a naive UTC datetime (what every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(value):
    """ISO 8601 UTC with a trailing Z, or None."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"
