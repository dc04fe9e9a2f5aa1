"""Text clean-up before any matching: one lowercase string of space-separated tokens.

- Invisible format characters (zero-width spaces and joiners, direction marks, soft hyphens) go
  first, so "re\u200bstart" reads "restart".
- NFKC folds full-width latin and digits (ＮＧＩＮＸ → NGINX) before lowercasing.
- Slack decoration goes: user/channel mentions (<@U123>), link brackets, backticks, *bold*,
  _italic_, ~strike~, emoji (:tada: and pictographs), and Hangul jamo fillers (ㅋㅋ, ㅠㅠ, ㄱㄱ).
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

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<(https?://[^>|]+)(?:\|[^>]*)?>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_APOSTROPHE = re.compile(r"['’‘`´]")
# "api's" → "api", but not the contractions the lexicon spells without apostrophe (whats, hows, its).
_CONTRACTIONS = r"(?:what|how|it|that|there|here|who|where|let|he|she)['’]s\b"
_POSSESSIVE = re.compile(rf"\b(?!{_CONTRACTIONS})([a-z0-9\-]+)['’]s\b")
_COMMA = re.compile(r"[,、，]")
_KEEP = re.compile(r"[^0-9a-z\uac00-\ud7a3\-.:/@=#*_, ]+")
_JAMO = re.compile(r"[\u3131-\u318e]+")
_SCRIPT_SPLIT = re.compile(r"(?<=[\uac00-\ud7a3])(?=[0-9a-z\-])|(?<=[0-9a-z.:/@#])(?=[\uac00-\ud7a3])")
_EDGE = re.compile(r"(?:(?<= )|^)[.:*=]+|[.:*=\-]+(?= |$)")
# Slack _italic_ (underscores on both sides of a span); a lone "_api" or "api_" keeps its underscore.
_ITALIC = re.compile(r"(?<![0-9a-z_])_([^_\n]{1,300}?)_(?![0-9a-z_])")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The normalized form described in the module docstring (' tok tok tok ')."""
    s = _INVISIBLE.sub("", text)
    s = unicodedata.normalize("NFKC", s)
    s = _MENTION.sub(" ", s)
    s = _LINK.sub(r" \1 ", s)
    s = s.lower()
    s = _EMOJI_CODE.sub(" ", s)
    s = _ITALIC.sub(r" \1 ", s)
    s = _POSSESSIVE.sub(r"\1", s)
    s = _APOSTROPHE.sub("", s)
    s = _COMMA.sub(" , ", s)
    s = _JAMO.sub(" ", s)
    s = _KEEP.sub(" ", s)
    s = _SCRIPT_SPLIT.sub(" ", s)
    s = _EDGE.sub("", s)
    s = _SPACES.sub(" ", s).strip()
    return f" {s} "
