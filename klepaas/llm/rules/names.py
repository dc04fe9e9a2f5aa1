"""Which word of the text is the app name, and near misses of known names.

A name is always a word the user typed (or an existing app the glossary matched); it is never
invented. Candidates are the latin words left after entities and intent words were consumed,
minus common English words. They are ranked: a known app (from the context) first, then a word
with a Korean particle after it ("nginx를"), then a word with a digit or hyphen ("api-v2"), then
the first remaining word.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from klepaas.llm.rules.entities import is_k8s_name
from klepaas.llm.rules.stopwords import STOPWORDS

_LATIN = re.compile(r"(?<= )[a-z0-9][a-z0-9\-]*(?= )")
_PARTICLE_AFTER = re.compile(
    r"^ (?:를|을|가|이|은|는|의|에|에서|도|만|좀|랑|이랑|하고|한테|로|으로|쪽|꺼|거|것|서버|앱|서비스|파드|"
    r"디플로이먼트|컨테이너)(?= )"
)


# What may wrap a name in chat: quotes, backticks, brackets, and sentence punctuation or a possessive
# after it. Markdown *bold*, _italic_ and ~strike~ wrap both sides.
_WORDS = re.compile(r"[\s\uac00-\ud7a3]+")  # Hangul (particles, verbs) separates words too
_LEADING = re.compile(r"^[\"'`“‘(\[<]+")
_TRAILING = re.compile(r"(?:['’]s|[\"'`”’)\]>.,!?~…:;])+$")
_PAIRED = re.compile(r"^([*_~]+)(.*?)\1$")
# Characters a token holding a name may carry: the name's own, and those of kubectl forms
# ("deployment/api", "--name=api", "api=3", "nginx:1.27", "acme/api@main").
_LEGAL = re.compile(r"^[a-z0-9\-./:=@_]*$")


def garbled_word(text: str, name: str) -> str | None:
    """The first word of `text` (lowercased) that holds `name` but not as a name can be written,
    or None: "nginx", "`nginx`", "*nginx*", "nginx!!!", "nginx를" are; "nginx*", ".nginx",
    "nginx%2f..", "nginx\\" are not (a garbled word never stands for a real app)."""
    for token in _WORDS.split(text):
        if name not in token:
            continue
        core = token
        while True:
            stripped = _TRAILING.sub("", _LEADING.sub("", core))
            paired = _PAIRED.match(stripped)
            stripped = paired.group(2) if paired else stripped
            if stripped == core:
                break
            core = stripped
        if not _LEGAL.match(core) or core.startswith("."):
            return token
    return None


@dataclass(frozen=True)
class Candidate:
    word: str
    position: int
    score: float


def candidates(residual: str, app_names: list[str]) -> list[Candidate]:
    """Name candidates from the residual text, best first."""
    known = set(app_names)
    found: list[Candidate] = []
    for m in _LATIN.finditer(residual):
        word = m.group(0)
        if word in STOPWORDS or not is_k8s_name(word):
            continue
        score = 1.0
        if word in known:
            score += 10.0
        if _PARTICLE_AFTER.match(residual[m.end() :]):
            score += 2.0
        if any(ch.isdigit() for ch in word) or "-" in word:
            score += 0.5
        found.append(Candidate(word, m.start(), score))
    # stable: equal scores keep text order
    return sorted(found, key=lambda c: (-c.score, c.position))


def near_misses(word: str, app_names: list[str], limit: int = 3) -> list[str]:
    """Existing names that look like a typo of `word` ("ngnix" → ["nginx"])."""
    if not app_names or word in app_names:
        return []
    close = difflib.get_close_matches(word, app_names, n=limit, cutoff=0.75)
    typos = [a for a in app_names if len(word) >= 3 and a not in close and edit_distance_le1(word, a)]
    return (close + typos)[:limit]


def edit_distance_le1(a: str, b: str) -> bool:
    """True when a and b differ by at most one edit (insert, delete, substitute, or swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]
