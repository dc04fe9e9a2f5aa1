"""A moment in the past as a command argument: an ISO 8601 time with its zone, or "3d" / "2h ago".

A relative value is turned into an absolute time once, when the arguments are validated, so the
preview, the approval and the run all see the same moment ("3 days ago" does not drift while an
approval waits).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_RELATIVE = re.compile(
    r"^-?\s*(?P<n>\d{1,5})\s*(?P<unit>s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)"
    r"(?:\s+ago)?$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# A clock a little ahead of ours must not make "now" a moment in the future.
_FUTURE_SLACK = timedelta(minutes=1)


def relative_delta(text: str) -> timedelta | None:
    """ "3d", "2h ago", "-90m", "2 hours ago" → the time span; None when `text` is not one."""
    found = _RELATIVE.match(text.strip().lower())
    if found is None:
        return None
    unit = found["unit"]
    key = "m" if unit.startswith("min") or unit == "m" else unit[0]
    return timedelta(seconds=int(found["n"]) * _UNIT_SECONDS[key])


def _to_moment(value: object) -> object:
    if isinstance(value, str):
        delta = relative_delta(value)
        if delta is not None:
            return datetime.now(UTC) - delta
        text = value.strip()
        try:
            value = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
        except ValueError:
            raise ValueError(
                f'"{value}" is not a time: give an ISO 8601 time with its zone '
                "(e.g. 2026-11-27T10:00Z or 2026-11-27T19:00+09:00) or how long ago (e.g. 3d, 2h)"
            ) from None
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"{value.isoformat()} has no time zone: add Z (UTC) or an offset such as +09:00")
    return value


def _in_the_past(value: datetime) -> datetime:
    if value > datetime.now(UTC) + _FUTURE_SLACK:
        raise ValueError(f"{value.isoformat()} is in the future: give a moment in the past")
    return value.astimezone(UTC)


Moment = Annotated[
    datetime,
    BeforeValidator(_to_moment),
    AfterValidator(_in_the_past),
    Field(description="Roll back to what was live at this time: ISO 8601 with zone, or e.g. 3d, 2h"),
]
