"""Whether the text orders the write it mentions, or only talks about it.

A write (restart, scale, rollback, deploy) is planned only when it is asked for plainly, now.
These mention one without ordering it, and become a question:
- negated or cancelled: "don't restart api", "never roll back payment", "api 재시작하지 마",
  "api 재시작 취소", "재시작 말고 상태만";
- asked about: "should I restart api?", "how do I restart api", "api 재시작해도 돼?";
- in the past: "did you restart api?", "api restarted", "api 재시작했어?";
- conditional: "restart api if it is unhealthy", "api 죽으면 재시작해줘" (the rules cannot check the
  condition). Polite forms stay orders: "if possible", "when you can", "가능하면", "해 주시면 감사".

Negation, questions and the past are read around each cue of a write (`Signals.spans`, whose
positions are those of the normalized text); a condition anywhere in the text counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

WRITES = frozenset({"restart", "scale", "rollback", "deploy"})

_FILLERS = (
    r"(?: (?:ever|even|yet|you|please|just|go|need to|try to|bother to|have to|the|that|this|my|a|any))*"
)
# English: what comes right before the cue.
_NEGATED_BEFORE = re.compile(
    r"(?<= )(?:dont|do not|never|not|no need to|lets not|let us not|shouldnt|should not|must not|mustnt"
    r"|cancel|abort|call off|hold off(?: on)?|skip|no)" + _FILLERS + " $"
)
_ASKED_BEFORE = re.compile(
    r"(?:(?<= )(?:should|shall|must|can|could|may|do|would) (?:i|we)"
    r"|(?<= )how (?:do|can|should|would|could|to|does one|do you)(?: (?:i|we|you|one))?"
    r"|(?<= )is it (?:ok|okay|safe|fine|possible|a good idea|wise|allowed) to"
    r"|(?<= )(?:do|does) (?:i|we|it) (?:need|have) to|(?<= )what happens if (?:i|we|you)"
    r"|(?<= )whether (?:to|i should|we should)|(?<= )why (?:would|should|did) (?:i|we|you)"
    r"|어떻게)" + r"(?: (?:really|just|also|actually|go ahead and|still|even|safely|now|the|a|we|i))* $"
)
_PAST_BEFORE = re.compile(
    r"(?<= )(?:did|have|has|had|was|were|been|got) (?:(?:you|someone|somebody|anyone|anybody|they|we|he|she"
    r"|it|the bot|i) )?(?:(?:already|just|ever|recently|actually|really) )*$"
)
# Korean: what comes right after the cue ("재시작" + "하지 마", "해도 돼?", "했어?").
_NEGATED_AFTER = re.compile(
    r"^\s?(?:은|는|을|를|도)?\s?(?:(?:하|해)?\s?(?:지|진)\s?(?:는|도)?\s?(?:마|말|않|맙)"
    r"|(?:하|해)?\s?(?:면|선|서는)\s?안\s?(?:돼|되|됩)|안\s?(?:해|하|할|돼|되)|못\s?(?:해|하)"
    r"|(?:하|해)?\s?말고|금지|취소|보류|중지|중단|필요\s?없|그만)"
)
_ASKED_AFTER = re.compile(
    r"^\s?(?:을|를|은|는)?\s?(?:(?:해|하)\s?(?:봐)?\s?도\s?(?:돼|되|될|할|하|해|괜찮|좋|함)|(?:봐)?도\s?(?:돼|되|괜찮)"
    r"|(?:할|하)\s?까(?!\s?요\s?말)|하는\s?(?:법|방법)|어떻게|하려면|하면\s?(?:돼|되|될|어때|좋을까)"
    r"|필요\s?(?:해|한|하|있))"
)
_PAST_AFTER = re.compile(
    r"^\s?(?:을|를|은|는|이|가|도)?\s?(?:했|됐|되었|하였|해\s?졌|된\s?(?:거|건|적)|한\s?(?:거|건|적))"
)
_ENGLISH_PAST = re.compile(r"[a-z]ed(?: |$)")

# Conditions ("if it is down", "when traffic spikes"); polite forms are no condition.
_EN_CONDITION = re.compile(
    r"(?<= )(?:if|unless|in case|whenever|as soon as|only if|provided|once(?= (?:it|its|the|they) )"
    r"|when(?= (?:it|its|they|the|traffic|cpu|memory|load|errors?|latency) ))(?= )"
    r"(?! (?:possible|you can|you could|you dont mind|you have (?:a )?(?:time|minute|moment|sec|second)"
    r"|you get a chance|convenient|thats (?:ok|okay|fine)|ok|okay|its ok|its okay|you would|you will"
    r"|you please) )"
)
_KO_CONDITION = re.compile(r"(?<= )[\uac00-\ud7a3]*(?:면|거든)(?= )(?! (?:좋겠|고맙|감사))")
# Words ending in 면 that are nouns (화면 = screen) or polite ("가능하면", "해 주시면 감사").
_KO_NOT_CONDITION = re.compile(
    r"^(?:화|측|전|정|표|국|반|방|대|지|이|라|냉|)면$|주시?면$|^(?:가능하|가능하시|가능하다|괜찮으|괜찮으시|괜찮다"
    r"|되시|번거롭지않으|바쁘지않으)면$"
)
_POLITE_WHEN = re.compile(r"(?:시간|여유)\s?되면|바쁘지\s?않으면|번거롭지\s?않으면")


_WINDOW = 60


@dataclass
class Mood:
    """Which write cues are not orders, and why."""

    negated: set[str] = field(default_factory=set)
    asked: set[str] = field(default_factory=set)  # asked about, or said in the past
    conditional: bool = False

    @property
    def unordered(self) -> set[str]:
        return self.negated | self.asked


def read_mood(text: str, spans: list[tuple[int, int, str]]) -> Mood:
    """The mood of each write cue of `text` (normalized, space-padded) at `spans`."""
    mood = Mood()
    for start, end, signal in spans:
        if signal not in WRITES:
            continue
        # the words right around the cue decide; a bounded window keeps each search short
        before = " " + text[max(0, start - _WINDOW) : start]
        after, cue = text[end : end + _WINDOW], text[start:end]
        if _NEGATED_BEFORE.search(before) or _NEGATED_AFTER.match(after):
            mood.negated.add(signal)
        elif (
            _ASKED_BEFORE.search(before) or _ASKED_AFTER.match(after) or _PAST_BEFORE.search(before)
            or _PAST_AFTER.match(after) or _ENGLISH_PAST.search(cue)
        ):
            mood.asked.add(signal)
    mood.conditional = _conditional(text)
    return mood


def _conditional(text: str) -> bool:
    if _EN_CONDITION.search(text):
        return True
    polite = _POLITE_WHEN.sub(" ", text)
    return any(not _KO_NOT_CONDITION.search(m.group(0)) for m in _KO_CONDITION.finditer(polite))
