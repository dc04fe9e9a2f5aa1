"""Score the intent lexicon against a text: which signals fire, how strongly, and where.

`score(residual, app_names)` runs every cue of vocabulary.py over the text left after entity
extraction. Per signal the score is the strongest cue plus a little for each further distinct cue
(two different restart words are a bit surer than one). Matched spans are blanked in the returned
text so the name finder never takes "restart" for an app. English words of five letters or more
that are one typo away from a cue word ("restrat", "rollbak", "deplyo") count as that cue,
slightly weaker — unless the word is a known app name. Korean words that start with a cue stem of
three syllables or more typed with one jamo slip ("재시잭해줘", "스캐일") count the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from klepaas.llm.rules.names import STOPWORDS, edit_distance_le1
from klepaas.llm.rules.vocabulary import CUES, FUZZY_WEIGHT, FUZZY_WORDS, KO_FUZZY_STEMS, RESOURCES

_EXTRA_CUE = 0.3  # per additional distinct cue of the same signal
_LATIN = re.compile(r"(?<= )[a-z][a-z\-]{3,}(?= )")
_HANGUL_WORD = re.compile(r"(?<= )[\uac00-\ud7a3]{3,}")


@dataclass
class Signals:
    scores: dict[str, float] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)  # in text order
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # command cue spans
    text: str = ""  # the residual with cue and resource words blanked

    def get(self, signal: str) -> float:
        return self.scores.get(signal, 0.0)

    def has(self, signal: str) -> bool:
        return self.scores.get(signal, 0.0) > 0.0


def score(residual: str, app_names: list[str]) -> Signals:
    result = Signals()
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    blank: list[tuple[int, int]] = []
    known = set(app_names)
    for cue in CUES:
        for m in cue.pattern.finditer(residual):
            if m.group(0).strip() in known:
                continue
            best[cue.signal] = max(best.get(cue.signal, 0.0), cue.weight(m))
            counts[cue.signal] = counts.get(cue.signal, 0) + 1
            blank.append((m.start(), m.end()))
            result.spans.append((m.start(), m.end(), cue.signal))
    found_resources: list[tuple[int, str]] = []
    for cue in RESOURCES:
        for m in cue.pattern.finditer(residual):
            if m.group(0).strip() in known:
                continue
            found_resources.append((m.start(), cue.signal))
            blank.append((m.start(), m.end()))
    for m in _LATIN.finditer(residual):
        word = m.group(0)
        if word in known or word in STOPWORDS or any(s <= m.start() < e for s, e in blank):
            continue
        for cue_word, signal in FUZZY_WORDS.items():
            if len(cue_word) >= 5 and edit_distance_le1(word, cue_word):
                best[signal] = max(best.get(signal, 0.0), FUZZY_WEIGHT)
                counts[signal] = counts.get(signal, 0) + 1
                blank.append((m.start(), m.end()))
                result.spans.append((m.start(), m.end(), signal))
                break
    for m in _HANGUL_WORD.finditer(residual):
        if any(s <= m.start() < e for s, e in blank):
            continue
        for stem, signal in KO_FUZZY_STEMS.items():
            head = m.group(0)[: len(stem)]
            if len(head) == len(stem) and edit_distance_le1(_jamo(head), _jamo(stem)):
                best[signal] = max(best.get(signal, 0.0), FUZZY_WEIGHT)
                counts[signal] = counts.get(signal, 0) + 1
                blank.append((m.start(), m.start() + len(stem)))
                result.spans.append((m.start(), m.start() + len(stem), signal))
                break
    result.scores = {s: w + _EXTRA_CUE * min(counts[s] - 1, 2) for s, w in best.items()}
    result.resources = [r for _, r in sorted(found_resources)]
    chars = list(residual)
    for start, end in blank:
        for i in range(start, end):
            chars[i] = " "
    result.text = "".join(chars)
    return result


def _jamo(syllables: str) -> str:
    """Hangul syllables spelled out as jamo indices, so one slipped vowel or consonant is one edit."""
    out: list[str] = []
    for ch in syllables:
        code = ord(ch) - 0xAC00
        out.extend((chr(0x1100 + code // 588), chr(0x1161 + code % 588 // 28), chr(0x11A7 + code % 28)))
    return "".join(out)
