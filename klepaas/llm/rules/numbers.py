"""Numbers as people type them: digits, Korean native and Sino-Korean numerals, English words.

`NUMBER` is a regex fragment (no groups) that matches one number in normalized text; `to_int`
turns such a match into an int. Korean native numerals (한/하나, 두/둘, 세/셋, 네/넷, 다섯 … 스물,
서른 …) only count next to a counter or particle — the patterns in entities.py add that context —
because 세, 네 and 한 are also ordinary words ("네" = yes, "한번" = once).
Sino-Korean (일 이 삼 … 십 백 천) is accepted only where entities.py says so (line counts: "백 줄").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_KO_UNITS = {
    "하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "석": 3, "넷": 4, "네": 4, "넉": 4,
    "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9,
}
_KO_TENS = {
    "열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50,
    "예순": 60, "일흔": 70, "여든": 80, "아흔": 90,
}
_SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_SINO_POWERS = {"십": 10, "백": 100, "천": 1000}

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_EN_PHRASES = {"a couple of": 2, "a couple": 2, "couple of": 2, "a dozen": 12, "dozen": 12, "a hundred": 100}

ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "첫": 1, "첫째": 1,
}


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_KO_NATIVE = rf"(?:(?:{_alt(_KO_TENS)})(?:{_alt(_KO_UNITS)})?|(?:{_alt(_KO_UNITS)}))"
_EN_WORD = (
    rf"(?:{_alt(_EN_PHRASES)}|(?:{_alt(_EN_TENS)})(?:[ -](?:{_alt(_EN_UNITS)}))?|(?:{_alt(_EN_UNITS)}))"
    r"(?: hundred)?"
)
SINO = rf"(?:(?:[{''.join(_SINO_DIGITS)}]?[{''.join(_SINO_POWERS)}])+[{''.join(_SINO_DIGITS)}]?)"

DIGITS = r"\d{1,6}"
# A number in digits or words; Korean native numerals are glued-or-spaced to what follows.
NUMBER = rf"(?:{DIGITS}|{_KO_NATIVE}|{_EN_WORD})"
NUMBER_OR_SINO = rf"(?:{DIGITS}|{SINO}|{_KO_NATIVE}|{_EN_WORD})"

_EN_WORD_RE = re.compile(
    rf"^(?:(?P<phrase>{_alt(_EN_PHRASES)})|(?P<tens>{_alt(_EN_TENS)})?[ -]?(?P<unit>{_alt(_EN_UNITS)})?)"
    r"(?P<hundred> hundred)?$"
)
_KO_NATIVE_RE = re.compile(rf"^(?P<tens>{_alt(_KO_TENS)})?(?P<unit>{_alt(_KO_UNITS)})?$")


def to_int(text: str) -> int | None:
    """The value of one number as matched by NUMBER / NUMBER_OR_SINO, or None."""
    s = text.strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    m = _KO_NATIVE_RE.match(s)
    if m and (m["tens"] or m["unit"]):
        return _KO_TENS.get(m["tens"] or "", 0) + _KO_UNITS.get(m["unit"] or "", 0)
    m = _EN_WORD_RE.match(s)
    if m and (m["phrase"] or m["tens"] or m["unit"]):
        value = (
            _EN_PHRASES[m["phrase"]]
            if m["phrase"]
            else _EN_TENS.get(m["tens"] or "", 0) + _EN_UNITS.get(m["unit"] or "", 0)
        )
        return value * 100 if m["hundred"] else value
    return _sino_to_int(s)


def _sino_to_int(s: str) -> int | None:
    total, digit = 0, 0
    for ch in s:
        if ch in _SINO_DIGITS:
            digit = _SINO_DIGITS[ch]
        elif ch in _SINO_POWERS:
            total += (digit or 1) * _SINO_POWERS[ch]
            digit = 0
        else:
            return None
    return total + digit
