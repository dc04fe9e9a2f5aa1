"""Text clean-up before any matching: one lowercase string of space-separated tokens.

- Terminal escape sequences go whole ("\x1b[31m"); invisible format characters (zero-width spaces
  and joiners, direction marks, soft hyphens) go first too, so "re\u200bstart" reads "restart".
- NFKC folds full-width latin and digits (ＮＧＩＮＸ → NGINX) before lowercasing.
- Slack decoration goes: user/channel mentions (<@U123>), link brackets, backticks, *bold*,
  _italic_, ~strike~, emoji (:tada: and pictographs), and Hangul jamo fillers (ㅋㅋ, ㅠㅠ, ㄱㄱ).
- Thousands grouped with commas are one number ("1,000" → "1000"); a "+" stays only before a digit.
- A possessive 's goes ("api's logs" → "api logs"), other apostrophes are removed ("what's" →
  "whats"); a comma stays as its own token (it can join two names); other punctuation becomes a
  space, except the characters that belong to names, images and flags: - . : / @ = # *, and an
  underscore inside a word ("my_app" stays one word, which is not a valid name, never "my app").
- Hangul and latin/digit runs are split apart, so Korean particles stand alone
  ("nginx를" → "nginx 를", "3개로" → "3 개로", "staging에서" → "staging 에서").
- Dots and colons that end a token are dropped ("nginx." → "nginx", "namespace:" → "namespace").

The result is padded with one space on each side so patterns can use " word " boundaries.
"""

from __future__ import annotations

import re
import unicodedata

# Terminal escape sequences ("\x1b[31m"), removed whole: their "[31m" is no part of the text.
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<(https?://[^>|]+)(?:\|[^>]*)?>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_APOSTROPHE = re.compile(r"['’‘`´]")
# "api's" → "api", but not the contractions the lexicon spells without apostrophe (whats, hows, its).
_CONTRACTIONS = r"(?:what|how|it|that|there|here|who|where|let|he|she)['’]s\b"
_POSSESSIVE = re.compile(rf"\b(?!{_CONTRACTIONS})([a-z0-9\-]+)['’]s\b")
_COMMA = re.compile(r"[,、，]")
# "1,000" and "10,000": one number with its thousands grouped (never "1" and "000")
_GROUPED = re.compile(r"(?<![0-9.,])\d{1,3}(?:,\d{3})+(?![0-9]|[.,]\d)")
_KEEP = re.compile(r"[^0-9a-z\uac00-\ud7a3\-.:/@=#*_,+ ]+")
_LONE_PLUS = re.compile(r"\+(?!\d)")  # "+2" (a change) stays; any other "+" is a space
_JAMO = re.compile(r"[\u3131-\u318e]+")
_SCRIPT_SPLIT = re.compile(r"(?<=[\uac00-\ud7a3])(?=[0-9a-z\-])|(?<=[0-9a-z.:/@#])(?=[\uac00-\ud7a3])")
_EDGE = re.compile(r"(?:(?<= )|^)[.:*=]+|[.:*=\-]+(?= |$)")
# Slack _italic_ (underscores on both sides of a span); a lone "_api" or "api_" keeps its underscore.
_ITALIC = re.compile(r"(?<![0-9a-z_])_([^_\n]{1,300}?)_(?![0-9a-z_])")
_SPACES = re.compile(r"\s+")


def cleaned(text: str) -> str:
    """The text as typed, lowercased, without escape sequences, invisible characters, Slack
    mentions and link brackets: the words a name check looks at."""
    s = unicodedata.normalize("NFKC", _INVISIBLE.sub("", _ANSI.sub("", text)))
    return _LINK.sub(r" \1 ", _MENTION.sub(" ", s)).lower()


def normalize(text: str) -> str:
    """The normalized form described in the module docstring (' tok tok tok ')."""
    s = _INVISIBLE.sub("", _ANSI.sub("", text))
    s = unicodedata.normalize("NFKC", s)
    s = _MENTION.sub(" ", s)
    s = _LINK.sub(r" \1 ", s)
    s = s.lower()
    s = _EMOJI_CODE.sub(" ", s)
    s = _ITALIC.sub(r" \1 ", s)
    s = _POSSESSIVE.sub(r"\1", s)
    s = _APOSTROPHE.sub("", s)
    s = _GROUPED.sub(lambda m: m.group(0).replace(",", ""), s)
    s = _COMMA.sub(" , ", s)
    s = _JAMO.sub(" ", s)
    s = _KEEP.sub(" ", s)
    s = _LONE_PLUS.sub(" ", s)
    s = _SCRIPT_SPLIT.sub(" ", s)
    s = _EDGE.sub("", s)
    s = _SPACES.sub(" ", s).strip()
    return f" {s} "


def typed_word(text: str, word: str) -> str:
    """`word` (as normalized: lowercase) spelled as typed in `text`, when it stands there as a
    whole word: a git ref is case-sensitive ("Release-2" is not "release-2")."""
    prepared = unicodedata.normalize("NFKC", _INVISIBLE.sub("", _ANSI.sub("", text)))
    typed = rf"(?<![0-9A-Za-z._/@:-]){re.escape(word)}(?![0-9A-Za-z_/@-])"
    found = re.search(typed, prepared, re.IGNORECASE)
    return found.group(0) if found is not None and found.group(0).lower() == word else word


def typed_tag(text: str, image: str) -> str:
    """`image` (as normalized: lowercase) with its tag and digest spelled as typed in `text`.

    A tag is case-sensitive ("V1.2-RC1" is not "v1.2-rc1"); the repository part is lowercase by spec.
    """
    slash = image.rfind("/")
    at = image.find("@")
    colon = image.find(":", slash + 1)
    cut = at if at >= 0 else colon
    if cut < 0:
        return image
    prepared = unicodedata.normalize("NFKC", _INVISIBLE.sub("", _ANSI.sub("", text)))
    typed = rf"(?<![0-9A-Za-z._/@:-]){re.escape(image)}(?![0-9A-Za-z_/@-])"
    found = re.search(typed, prepared, re.IGNORECASE)
    if found is None or found.group(0).lower() != image:
        return image
    return image[:cut] + found.group(0)[cut:]
