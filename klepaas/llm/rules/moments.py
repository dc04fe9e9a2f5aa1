"""A moment in the past said in words ("3일 전", "이틀 전", "어제", "2 hours ago") → a time span back.

Only what names one instant: N minutes/hours/days/weeks ago, 하루/이틀/사흘 전, and yesterday or
the day before (this time yesterday: 24 or 48 hours back). Vague moments ("지난주", "last night",
"this morning", "몇 시간 전", months) give None: the planner asks instead of choosing an instant.
"""

from __future__ import annotations

import re
from datetime import timedelta

from klepaas.llm.rules.numbers import NUMBER_OR_SINO, to_int

_UNITS: list[tuple[str, timedelta]] = [
    (r"시간|hours?|hrs?|h", timedelta(hours=1)),
    (r"분|minutes?|mins?|m", timedelta(minutes=1)),
    (r"주일|주|weeks?|w", timedelta(weeks=1)),
    (r"일|days?|d", timedelta(days=1)),
]
_UNIT = "|".join(f"(?P<u{i}>{pattern})" for i, (pattern, _) in enumerate(_UNITS))
_AGO = r"\s?(?:전|前|ago|before|earlier)"
_SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_COUNTED = re.compile(rf"(?<= )(?P<n>{NUMBER_OR_SINO}|[{''.join(_SINO_DIGITS)}]|an?)\s?(?:{_UNIT}){_AGO}")
_KO_DAYS = {"하루": 1, "이틀": 2, "사흘": 3, "나흘": 4, "닷새": 5}
_DAYS = re.compile(rf"(?<= )(?P<d>{'|'.join(_KO_DAYS)}){_AGO}")
_YESTERDAY = re.compile(r"(?<= )(?:어제(?!\s?밤)|yesterday(?:'s)?(?= )(?! night))")
_DAY_BEFORE = re.compile(r"(?<= )(?:그제|그저께|엊그제|the day before yesterday)")
_LIMIT = timedelta(days=366)


def span_back(text: str) -> timedelta | None:
    """How long ago the moment in `text` (normalized, space-padded) was; None when vague or absent."""
    found = _COUNTED.search(text)
    if found is not None:
        said = found["n"]
        number = 1 if said in ("a", "an") else _SINO_DIGITS.get(said) or to_int(said)
        unit = next(step for i, (_, step) in enumerate(_UNITS) if found[f"u{i}"])
        if number is None or number <= 0 or number * unit > _LIMIT:
            return None
        return number * unit
    found = _DAYS.search(text)
    if found is not None:
        return timedelta(days=_KO_DAYS[found["d"]])
    if _DAY_BEFORE.search(text):
        return timedelta(days=2)
    if _YESTERDAY.search(text):
        return timedelta(days=1)
    return None
