"""The user's language: Korean if the text holds any Hangul syllable, else English."""

from __future__ import annotations

import re

from klepaas.llm.plan import Lang

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def detect_lang(text: str) -> Lang:
    return "ko" if _HANGUL.search(text) else "en"
