"""What adapters do with a provider's words: make them safe to store and show, and match
them against a provider's table of known reasons, read the times it sends."""
import re
from collections.abc import Iterable
from datetime import UTC, datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_DIGIT_RUN = re.compile(r"\d{6,}")
MAX_MESSAGE = 200


def scrub(text: object, limit: int = MAX_MESSAGE) -> str:
    """A provider text safe to store and show: no control characters, no long digit runs
    (card or phone numbers: all but the last two digits masked), bounded."""
    text = _CONTROL.sub(" ", str(text))
    text = _DIGIT_RUN.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)
    return " ".join(text.split())[:limit]


def match_reason(text: str | None, table: Iterable[tuple[re.Pattern, str]],
                 default: str | None) -> str | None:
    """The code of the first pattern of ``table`` found in ``text``, else ``default``."""
    if text:
        for pattern, code in table:
            if pattern.search(text):
                return code
    return default


def utc_moment(raw: object) -> datetime | None:
    """An ISO-8601 time a provider sent ("2024-07-27T02:22:46.000000Z") as naive UTC (the
    product's convention), or None when it is not one."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
