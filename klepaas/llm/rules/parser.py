"""The rule-based planner: text → a validated Plan for one command, or a question.

Steps, each in its own module:
  normalize.py → entities.py (values) → signals.py + vocabulary.py (intent) → choice.py (command)
  → names.py + glossary.py (the app) → arguments.py (command values) → llm/context.py (follow-ups)
  → validation with the command's own args model → Plan | Clarify, with a confidence.

Confidence (0..1) says how sure the rules are; the hybrid planner lets the rules decide at or
above `RULES_THRESHOLD` (0.7) and asks an LLM below it. Roughly: a clear command word with every
argument it needs scores 0.9–0.95; a weaker hint ("check", "확인") 0.75–0.85; a close runner-up,
leftover unknown words, a name that is not among the known apps or one borrowed from the glossary
or the previous plan lower it. Questions the rules are sure of (a missing replica count, a
refusal, small talk) score 0.85–0.95, so no LLM is asked to second-guess them; text with no
command word at all scores 0.3 and goes to a provider when one is configured.

Non-commands (greetings, thanks, small talk, unrelated questions) get a `Clarify` that offers help
(with a low-confidence `help` plan as its candidate) — never a guess, never a `help` plan. Delete,
kill, remove and prompt-injection markers get a refusal with no candidates: there is no delete
command, and nothing is planned from such text. "Stop"/"꺼줘" gets a question proposing
`scale NAME 0`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from pydantic import ValidationError

from klepaas.llm.context import fill_name, repeat_previous
from klepaas.llm.plan import Clarify, CommandInfo, Lang, Plan, PlanningContext
from klepaas.llm.rules import glossary, messages, moments
from klepaas.llm.rules.arguments import command_values, name_from_image
from klepaas.llm.rules.choice import WEAK, Choice, choose, name_is_likely
from klepaas.llm.rules.entities import Entities, NamespaceVocab, extract, is_k8s_name, namespace_vocab
from klepaas.llm.rules.hostile import is_hostile
from klepaas.llm.rules.lang import detect_lang
from klepaas.llm.rules.mood import Mood, read_mood
from klepaas.llm.rules.names import Candidate, candidates, garbled_word, near_misses
from klepaas.llm.rules.normalize import cleaned, normalize, typed_tag, typed_word
from klepaas.llm.rules.signals import Signals, score
from klepaas.llm.rules.stopwords import STOPWORDS
from klepaas.llm.rules.vocabulary import COMMAND_SIGNALS, COMMAND_WORDS

RULES_THRESHOLD = 0.7
"""At or above this confidence the rules' answer is final; below it an LLM provider is asked."""

# Commands that act on one app even where their model leaves the name optional: a missing name is
# asked for, not guessed. deploy is not here: its name may come from the image or the repo.
_NAME_NEEDED = frozenset(
    {"status", "logs", "endpoint", "restart", "scale", "rollback", "rollout_history", "get_deployment",
     "get_service"}
)
# Commands that act on one app, and commands that never take one (whose cue words may be app names).
_APP_COMMANDS = ("restart", "scale", "rollback", "rollout_history", "deploy", "logs", "status", "endpoint",
                 "metrics", "describe")
_APPLESS = frozenset({"cost_analysis", "overview", "help"})
_ROLLBACK_TARGETS = frozenset({"revision", "steps_back", "commit", "at"})
# Actions a "who …?" question names without asking for them ("who restarted api?", "누가 배포했어?").
_ASKED_ABOUT = ("restart", "scale", "rollback", "deploy", "rollout_history", "stop")
_HANGUL_TOKEN = re.compile(r"[\uac00-\ud7a3]+")
_CONJUNCTIONS = frozenset({"and", "&", "plus", ",", "랑", "이랑", "하고", "와", "과", "그리고", "및", "/"})
# A word with an underscore ("my_app", "payment_api"): meant as a name, but no Kubernetes name can be.
_INVALID_NAME = re.compile(r"(?<= )[a-z0-9\-.]*_[a-z0-9_\-.]*(?= )")
# "nginx 말고 api", "not nginx", "api instead of nginx": the word named is not the app
_EXCLUDED_NAME = re.compile(
    r"(?<= )(?P<name>[a-z0-9][a-z0-9\-]*)(?= (?:말고|말구|아니고|아니라|대신에|대신|빼고|제외하고) )"
    r"|(?<= )(?:not|instead of|rather than|except|other than) (?:the )?(?P<after>[a-z0-9][a-z0-9\-]*)(?= )"
)
# "restart everything", "staging 전부 재시작": many apps at once, where writes act on one
_BULK = re.compile(
    r"(?<= )(?:전부|모두|전체|몽땅|싹\s?다|다|all|every|everything|each)(?= )"
    r"(?! (?:the |of the )?(?:pods?|replicas?|instances?|containers?|파드|포드|인스턴스|레플리카|컨테이너))"
)
_SURE = 0.85  # confidence of a question the rules are sure of
# A ChatOps request is a sentence or two; the rules read this much of a longer message (keeping the
# parse time bounded) and leave the decision to a provider or a question.
MAX_RULES_CHARS = 500
_LONG_TEXT_CONFIDENCE = 0.5


@dataclass(frozen=True)
class RulesConfig:
    staging_namespace: str = "staging"
    production_namespace: str = "production"


@dataclass(frozen=True)
class Reading:
    """The rules' whole answer: the outcome, how sure they are, and the best plan they saw."""

    outcome: Plan | Clarify
    confidence: float
    best: Plan | None = None

    @property
    def decided(self) -> bool:
        return self.confidence >= RULES_THRESHOLD


@dataclass
class _Draft:
    """Everything known about one reading while it is being built."""

    lang: Lang
    context: PlanningContext
    vocab: NamespaceVocab
    ents: Entities
    sig: Signals
    names: list[Candidate]
    ko_words: str
    glued: dict[str, str] = field(default_factory=dict)  # "결제api": {"api": "결제"}
    command: str = ""
    command_score: float = 0.0
    runner_up: float = 0.0
    kind: str | None = None
    confidence: float = 0.0
    suggestions: list[str] = field(default_factory=list)
    source: str = "rules"


class RulesParser:
    """Rule-based planner over a fixed list of commands. Build once, reuse; keeps no per-call state."""

    def __init__(
        self,
        commands: list[CommandInfo],
        config: RulesConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._commands = {c.name: c for c in commands}
        self._config = config or RulesConfig()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._vocab_cache: dict[tuple[str, ...], NamespaceVocab] = {}

    @property
    def commands(self) -> dict[str, CommandInfo]:
        return self._commands

    def parse(self, text: str, context: PlanningContext | None = None) -> Plan | Clarify:
        return self.read(text, context).outcome

    def read(self, text: str, context: PlanningContext | None = None) -> Reading:
        if is_hostile(text):  # shell/SQL fragments, fake role lines, bidi tricks: nothing is planned
            return self._refuse("refused", detect_lang(text[:MAX_RULES_CHARS]))
        if len(text) <= MAX_RULES_CHARS:
            return self._read(text, context or PlanningContext())
        # cut at a word boundary: a word cut in half may read as another app ("nginx-canary" → "nginx")
        cut = text[: MAX_RULES_CHARS + 1]
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        cut = cut[:space] if space > 0 else ""
        reading = self._read(cut, context or PlanningContext())
        outcome = reading.outcome
        offered = [outcome] if isinstance(outcome, Plan) else outcome.candidates
        writes = any(self._commands[p.command].risk != "read" for p in offered if p.command in self._commands)
        if writes and not set(text[len(cut) :].lower().split()) <= set(cut.lower().split()):
            # no write is planned or offered from a message read only in part, unless the part not
            # read only repeats words of the part read (it cannot name another app or action)
            lang = detect_lang(cut)
            return Reading(Clarify(messages.question("too_long", lang), lang), _SURE, None)
        if isinstance(outcome, Clarify):
            return reading
        return replace(reading, confidence=min(reading.confidence, _LONG_TEXT_CONFIDENCE))

    def _read(self, text: str, context: PlanningContext) -> Reading:
        lang = detect_lang(text)
        norm = normalize(text)
        if not norm.strip():
            return self._offer_help(lang, 0.9)
        vocab = self._vocab(context)
        ents = extract(norm, vocab)
        if ents.image:
            ents.image = typed_tag(text, ents.image)
        if ents.ref:
            ents.ref = typed_word(text, ents.ref)
        if ents.version:
            ents.version = typed_word(text, ents.version)
        sig = score(ents.residual, context.app_names)
        for signal, weight in ents.hints.items():
            sig.scores[signal] = sig.scores.get(signal, 0.0) + weight
        if ents.count_question and ents.replicas is None:
            sig.scores.pop("scale", None)  # "how many replicas does api have?" asks; it sets nothing
        if ents.asks_who or ents.asks_count:  # "who restarted api?", "how many times has api
            # restarted?": questions about what happened; they order nothing
            for signal in _ASKED_ABOUT:
                sig.scores.pop(signal, None)
        if sig.has("injection"):
            return self._refuse("refused", lang)
        if sig.has("destroy"):
            return self._refuse("destroy", lang)
        mood = read_mood(norm, sig.spans)
        for signal in mood.unordered:  # "don't restart api", "should I restart api?": no order
            sig.scores.pop(signal, None)
        _reclaim_name(sig, ents.residual, context.app_names)
        _reclaim_namespace(sig, ents)
        sig.text = _EXCLUDED_NAME.sub(_blank_excluded, sig.text)
        names = candidates(sig.text, context.app_names)
        ko_words = " ".join(_HANGUL_TOKEN.findall(sig.text))
        glued = glossary.glued(text.lower())
        draft = _Draft(lang, context, vocab, ents, sig, names, ko_words, glued)
        if mood.unordered and not any(sig.get(c) > 0 for c in COMMAND_SIGNALS):
            return self._not_ordered(draft, mood, None)
        reading = self._decide(draft)
        plan = reading.outcome
        if isinstance(plan, Plan) and self._commands[plan.command].risk != "read":
            # (another write ordered beside a refused one stands: "어제 배포 말고 리비전 5로 롤백")
            if plan.command in mood.unordered or mood.conditional or ents.future:
                return self._not_ordered(draft, mood, plan)
            if _BULK.search(ents.residual):  # "staging 전부 재시작": one app at a time
                return self._one_app(draft, plan)
            name = plan.args.get("name")
            garbled = garbled_word(cleaned(text), name) if isinstance(name, str) else None
            if garbled is not None:  # "restart nginx%2f..", "restart nginx*": never nginx itself
                return self._ask(draft, messages.question("bad_name", lang, name=garbled))
        return reading

    # ---- command choice --------------------------------------------------------------------

    def _decide(self, d: _Draft) -> Reading:
        previous = d.context.previous
        if previous is not None and not d.names and _carries(previous.command, d.ents) and all(
            d.sig.get(c) < 2.5 for c in COMMAND_SIGNALS
        ):
            return self._no_command(d)  # "이번엔 200줄로", "지난 6시간으로": the last request, changed
        choice = choose(d.sig, d.ents, self._has_name(d), set(self._commands))
        if choice.verdict == "stop":
            return self._stop(d)
        if choice.verdict == "smalltalk":
            return self._offer_help(d.lang, 0.9)
        if choice.verdict == "which":
            return self._which(d, choice.contenders)
        if choice.verdict == "none" or choice.command is None:
            return self._no_command(d)
        return self._build(self._with(d, choice))

    def _has_name(self, d: _Draft) -> bool:
        """Whether the text names an app (a word that is not a namespace, a glossary word, "it")."""
        ents, ctx = d.ents, d.context
        words = [
            c for c in d.names
            if not (d.vocab.is_known(c.word) and c.word not in ctx.app_names)
            and c.word not in ents.soft_namespaces
        ]
        if ents.name or words or (d.ko_words and glossary.domain_words(d.ko_words)):
            return True
        if len(d.names) == len(ents.soft_namespaces) == 1 and name_is_likely(d.sig):
            return True
        return d.sig.has("pronoun") and ctx.previous is not None

    @staticmethod
    def _with(d: _Draft, choice: Choice) -> _Draft:
        assert choice.command is not None
        d.command, d.kind = choice.command, choice.kind
        d.command_score, d.runner_up = choice.score, choice.runner_up
        return d

    # ---- arguments ---------------------------------------------------------------------------

    def _build(self, d: _Draft) -> Reading:
        info = self._commands[d.command]
        fields = info.args_model.model_fields
        takes_name = "name" in fields
        needs_name = takes_name and (fields["name"].is_required() or d.command in _NAME_NEEDED)
        namespace, names = self._namespace(d, needs_name, takes_name)
        args: dict[str, Any] = {}
        if namespace is not None and "namespace" in fields:
            args["namespace"] = namespace
        d.confidence = self._base_confidence(d)
        no_app = not names and not d.ents.name and not glossary.domain_words(d.ko_words)
        invalid = _INVALID_NAME.search(d.sig.text) if takes_name and not d.ents.name else None
        if invalid is not None:  # "restart My_App": never a different, valid app in its place
            return self._ask(d, messages.question("bad_name", d.lang, name=invalid.group(0)))
        if takes_name and not (d.command == "status" and no_app and namespace):
            name, question = self._name(d, names)
            if question is not None:
                return question
            if name is not None:
                args["name"] = name
        elif names:
            d.confidence -= 0.05 * min(len(names), 3)  # words the command had no use for
        args.update(command_values(d.command, d.ents, fields, d.kind, self._help_target(d)))
        if d.command == "deploy" and d.ents.version and args.get("ref") == d.ents.version:
            apps = [c for c in d.names if not d.vocab.is_known(c.word) or c.word in d.context.app_names]
            if len(apps) > 1:  # "web에 nginx 1.27 배포": the version may be another word's image tag
                del args["ref"]
        previous = d.context.previous
        if d.ents.there and "namespace" in fields and "namespace" not in args and previous is not None:
            there = previous.args.get("namespace")  # "the ingresses there?": where the last request was
            if there:
                args["namespace"], d.source = there, "context"
        if takes_name and "name" not in args:
            follow = fill_name(d.command, args, previous)
            if follow.borrowed:
                args, d.source = follow.args, "context"
                d.confidence -= 0.05
        if d.command == "logs" and d.ents.lines_more and d.ents.lines is not None and "lines" in fields:
            args["lines"] = _more_lines(d.ents.lines, args, fields["lines"].default, d.context.previous)
        return self._finish(d, info, args, needs_name)

    def _namespace(self, d: _Draft, needs_name: bool, takes_name: bool) -> tuple[str | None, list[Candidate]]:
        """The namespace, and the name candidates left once namespace words are taken out."""
        ents, vocab = d.ents, d.vocab
        namespace = ents.namespace
        names = list(d.names)
        # a known namespace typed bare ("nginx staging 재시작") is the namespace
        bare = [c for c in names if vocab.is_known(c.word) and c.word not in d.context.app_names]
        if bare and (not needs_name or len(names) > len(bare) or d.command == "status"):
            namespace = namespace or vocab.resolve(bare[0].word)
            names = [c for c in names if c not in bare]
        # "in X" / "X에서" with X unknown: the namespace when another word is the name
        # (not a word of a cue: "anything on fire" has no namespace "fire")
        soft_words = [w for w in ents.soft_namespaces if f" {w} " in d.sig.text]
        if soft_words and namespace is None:
            soft = soft_words[0]
            if not takes_name or any(c.word != soft for c in names):
                namespace = soft
                names = [c for c in names if c.word != soft]
        return namespace, names

    def _name(self, d: _Draft, names: list[Candidate]) -> tuple[str | None, Reading | None]:
        """The app name (typed, implied by an image/repo, or matched by the glossary), or a question."""
        ctx, ents = d.context, d.ents
        if ents.name:
            return ents.name, None
        if names:
            return self._typed_name(d, names)
        implied = None
        if d.command == "deploy":
            if ents.repo and not ents.image:
                # Left to the command: it finds the app deployed from that repo (its annotation),
                # which may not be named after it, before falling back to the repo's name.
                return None, None
            implied = name_from_image(ents.image) if ents.image else None
        if implied:
            d.confidence -= 0.05
            return implied, None
        matches = glossary.match_apps(d.ko_words, ctx.app_names) if d.ko_words else []
        if len(matches) == 1 and self._commands[d.command].risk != "read":
            # a write acts on the app the glossary found only when no other app might be meant
            best = matches[0]
            others = [a for a in glossary.plausible_apps(d.ko_words, ctx.app_names) if a != best]
            if glossary.has_role(d.ko_words, best):  # the role said narrows it to the best
                others = [a for a in others if glossary.has_role(d.ko_words, a)]
            if others:
                return None, self._which_app(d, [best, *others])
        if len(matches) == 1:
            d.confidence -= 0.1
            return matches[0], None
        if matches:
            return None, self._one_name(d, matches)
        return None, None

    def _typed_name(self, d: _Draft, names: list[Candidate]) -> tuple[str | None, Reading | None]:
        app_names = d.context.app_names
        if len({c.word for c in names}) == 1:  # "restart nginx and nginx": one app, said twice
            names = names[:1]
        if len(names) > 1 and _joined(d.ents.residual, names):
            return None, self._one_name(d, [c.word for c in sorted(names, key=lambda c: c.position)])
        best = names[0]
        korean = d.glued.get(best.word)
        if korean:  # "결제api": the typed word is only part of the name
            compounds = glossary.compound_apps(korean, best.word, app_names)
            if len(compounds) == 1:
                d.confidence -= 0.1
                return compounds[0], None
            english = glossary.first_english(glossary.domain_words(korean)[0])
            example = f"{_example_verb(d.command)} {english}-{best.word}"
            return None, self._ask(d, messages.question("name_guess", d.lang, example=example))
        tied = [c for c in names if c.score == best.score]
        if len(tied) > 1 and best.score >= 10:  # two known apps, nothing to choose between them
            return None, self._one_name(d, [c.word for c in tied])
        d.confidence -= 0.3 if len(tied) > 1 else 0.1 * min(len(names) - 1, 3)
        if app_names and best.word not in app_names:
            d.suggestions = near_misses(best.word, app_names)
            d.confidence -= 0.1
        return best.word, None

    def _base_confidence(self, d: _Draft) -> float:
        s = d.command_score
        base = 0.95 if s >= 3 else 0.85 if s >= 2 else 0.75 if s >= 1.5 else 0.6
        if d.runner_up and s - d.runner_up < 1 and d.command not in WEAK:
            base -= 0.1
        return base

    def _help_target(self, d: _Draft) -> str | None:
        if d.command != "help":
            return None
        for word in d.ents.residual.split():
            target = COMMAND_WORDS.get(word)
            if target and target in self._commands:
                return target
        others = [c for c in COMMAND_SIGNALS if c != "help" and d.sig.get(c) >= 2.5 and c in self._commands]
        return max(others, key=d.sig.get) if others else None

    # ---- the end: checks, validation ---------------------------------------------------------

    def _finish(self, d: _Draft, info: CommandInfo, args: dict[str, Any], needs_name: bool) -> Reading:
        command, lang = info.name, d.lang
        if command == "status" and "name" not in args and "overview" in self._commands and (
            args.get("namespace") or d.sig.get("list") >= 1.5 or d.sig.has("overview")
        ):
            d.command = "overview"  # "staging 상태", "전체 상태": the namespace's overview
            overview_args = {k: v for k, v in args.items() if k == "namespace"}
            return self._finish(d, self._commands["overview"], overview_args, False)
        if needs_name and "name" not in args and d.ko_words and glossary.domain_words(d.ko_words):
            return self._guess_from_glossary(d, info, args)
        question = self._missing(d, command, args, needs_name)
        if question is not None:
            return self._ask(d, question)
        if command == "rollback" and d.ents.relative and not _ROLLBACK_TARGETS & args.keys():
            return self._ask_rollback_target(d, args, "rollback_target")  # "to revision -1", "by 2"
        if command == "rollback" and d.ents.vague_target and not _ROLLBACK_TARGETS & args.keys():
            return self._ask_rollback_target(d, args)  # "the good version": which one is that?
        if command == "rollback" and d.ents.version and not _ROLLBACK_TARGETS & args.keys():
            # "roll api back to v1.2.3": a version is no revision number; the previous one was not asked
            return self._ask_rollback_target(d, args, "rollback_version")
        if command == "rollback" and d.ents.point_in_time and not _ROLLBACK_TARGETS & args.keys():
            span = moments.span_back(d.ents.moment_text) if "at" in info.args_model.model_fields else None
            if span is None:
                return self._ask_rollback_target(d, args)
            # "3일 전 버전": what was live then, as one instant fixed now (the approval sees it too)
            moment = self._clock().astimezone(UTC) - span
            args = {**args, "at": moment.isoformat(timespec="seconds").replace("+00:00", "Z")}
        try:
            model = info.args_model.model_validate(args)
        except ValidationError as exc:
            if command == "deploy" and args.get("repo") and not args.get("ref") and not args.get("image"):
                name = str(args.get("name", "NAME"))
                return self._ask(d, messages.question("ref", lang, repo=str(args["repo"]), name=name))
            return self._ask(d, messages.question("invalid", lang, error=_short_error(exc, lang)), 0.75)
        plan_args = model.model_dump(exclude_defaults=True, mode="json")
        plan = Plan(command, plan_args, d.source, confidence=round(max(d.confidence, 0.05), 3), lang=lang,
                    suggestions=d.suggestions)
        if d.ents.delegate and command in WEAK:
            # "api 이상한데 알아서 해줘": what to do is left to the bot; offer a look, guess no action
            offer = replace(plan, confidence=0.5)
            described = messages.describe(command, plan_args, lang)
            question = messages.question("did_you_mean", lang, plans=described)
            return Reading(Clarify(question, lang, [offer]), _SURE, offer)
        if d.suggestions and info.risk != "read":
            # never silently replace a name for a write: ask, offering the near misses
            alternatives = [
                replace(plan, args={**plan_args, "name": near}, suggestions=[]) for near in d.suggestions
            ]
            described = " / ".join(messages.describe(p.command, p.args, lang) for p in alternatives)
            question = messages.question("did_you_mean", lang, plans=described)
            return Reading(Clarify(question, lang, alternatives), _SURE, alternatives[0])
        return Reading(plan, plan.confidence, plan)

    def _guess_from_glossary(self, d: _Draft, info: CommandInfo, args: dict[str, Any]) -> Reading:
        """"결제 서버 재시작" with no known app called payment: ask, offering the glossary's guesses."""
        guesses: list[Plan] = []
        for word in dict.fromkeys(glossary.domain_words(d.ko_words)):
            try:
                model = info.args_model.model_validate({**args, "name": glossary.first_english(word)})
            except ValidationError:
                continue
            guess_args = model.model_dump(exclude_defaults=True, mode="json")
            guesses.append(Plan(info.name, guess_args, "rules", confidence=0.4, lang=d.lang))
        example = messages.describe(guesses[0].command, guesses[0].args, "en") if guesses else "nginx"
        question = messages.question("name_guess", d.lang, example=example)
        return Reading(Clarify(question, d.lang, guesses), _SURE)

    def _ask_rollback_target(self, d: _Draft, args: dict[str, Any], key: str = "rollback_time") -> Reading:
        """"지난주 버전으로 롤백", "back to v1.2.3": a moment too vague to be one instant, or a version
        that is no revision number; the previous revision is not what was asked, so ask, offering
        the app's history."""
        name = str(args.get("name", "NAME"))
        offer: list[Plan] = []
        if "rollout_history" in self._commands and "name" in args:
            history = {k: v for k, v in args.items() if k in {"name", "namespace"}}
            offer.append(Plan("rollout_history", history, "rules", confidence=0.5, lang=d.lang))
        text = messages.question(key, d.lang, name=name, version=d.ents.version or "")
        return Reading(Clarify(text, d.lang, offer), _SURE, None)

    def _missing(self, d: _Draft, command: str, args: dict[str, Any], needs_name: bool) -> str | None:
        """The question for what the command still needs, or None."""
        lang = d.lang
        if needs_name and "name" not in args:
            return messages.question("name", lang, example=f"{_example_verb(command)} nginx")
        name = str(args.get("name", "NAME"))
        if command == "scale":
            vague = d.ents.replicas is None and len(d.ents.bare_numbers) > 1  # "scale api 2~3"
            if (d.sig.has("relative") or d.ents.relative or vague) and not d.ents.replicas_absolute:
                return messages.question("relative", lang, name=name)
            if "replicas" not in args:
                return messages.question("replicas", lang, name=name)
        if command == "deploy" and not (args.get("image") or args.get("repo") or args.get("ref")):
            return messages.question("image", lang, name=name)
        # status finds one app across namespaces ("전체 네임스페이스에서 api 상태"); others act in one
        finds = self._commands[command].finds_namespace and args.get("kind", "deployment") == "deployment"
        if args.get("namespace") == "*" and "name" in args and not finds:
            return messages.question("namespace_all", lang)
        return None

    # ---- questions ---------------------------------------------------------------------------

    def _ask(self, d: _Draft, text: str, confidence: float = _SURE) -> Reading:
        return Reading(Clarify(text, d.lang), confidence, None)

    def _offer_help(self, lang: Lang, confidence: float) -> Reading:
        offer = [Plan("help", {}, "rules", confidence=0.3, lang=lang)] if "help" in self._commands else []
        return Reading(Clarify(messages.question("help", lang), lang, offer), confidence, None)

    def _refuse(self, key: str, lang: Lang) -> Reading:
        return Reading(Clarify(messages.question(key, lang), lang), 0.95, None)

    def _which_app(self, d: _Draft, apps: list[str]) -> Reading:
        """A write whose app could be any of `apps`: ask, offering each as a plan to choose from."""
        names = ", ".join(f"`{a}`" for a in apps)
        example = f"{_example_verb(d.command)} {apps[0]}"
        text = messages.question("which_app", d.lang, names=names, example=example)
        return Reading(Clarify(text, d.lang), _SURE, None)

    def _not_ordered(self, d: _Draft, mood: Mood, plan: Plan | None) -> Reading:
        """A write mentioned but not ordered (negated, asked about, conditional): nothing is done and
        no write is offered; a look at the app is."""
        name = str(plan.args.get("name")) if plan and plan.args.get("name") else None
        name = name or (d.names[0].word if d.names else None)
        offers: list[Plan] = []
        if name and "status" in self._commands:
            offers.append(Plan("status", {"name": name}, "rules", confidence=0.5, lang=d.lang))
        if mood.negated:
            command = plan.command if plan else sorted(mood.negated)[0]
            action = messages.action(command, d.lang)
            text = messages.question("negated", d.lang, action=action, name=name or "NAME")
        else:
            command = plan.command if plan else sorted(mood.asked)[0] if mood.asked else "restart"
            args = plan.args if plan else {"name": name or "NAME"}
            example = messages.describe(command, args, "en")
            text = messages.question("not_ordered", d.lang, example=example)
        return Reading(Clarify(text, d.lang, offers), _SURE, None)

    def _one_app(self, d: _Draft, plan: Plan) -> Reading:
        example = f"{_example_verb(plan.command)} nginx"
        action = messages.action(plan.command, d.lang)
        text = messages.question("one_app", d.lang, action=action, example=example)
        return Reading(Clarify(text, d.lang), _SURE, None)

    def _one_name(self, d: _Draft, words: list[str]) -> Reading:
        distinct = list(dict.fromkeys(words))
        text = messages.question("one_name", d.lang, names=", ".join(f"`{w}`" for w in distinct))
        return Reading(Clarify(text, d.lang), _SURE, None)

    def _which(self, d: _Draft, commands: list[str]) -> Reading:
        """Two commands asked at once: offer each as a plan to choose from."""
        plans: list[Plan] = []
        for command in commands:
            sub = replace(d, command=command, command_score=3.0, runner_up=0.0, suggestions=[])
            reading = self._build(sub)
            if isinstance(reading.outcome, Plan):
                plans.append(replace(reading.outcome, confidence=0.5))
        described = " / ".join(messages.describe(p.command, p.args, d.lang) for p in plans)
        text = messages.question("which", d.lang, plans=described or ", ".join(commands))
        return Reading(Clarify(text, d.lang, plans), 0.5, plans[0] if plans else None)

    def _stop(self, d: _Draft) -> Reading:
        name = d.names[0].word if d.names else (d.ents.name or "NAME")
        proposals: list[Plan] = []
        if "scale" in self._commands and name != "NAME":
            args: dict[str, Any] = {"name": name, "replicas": 0}
            if d.ents.namespace:
                args["namespace"] = d.ents.namespace
            proposals.append(Plan("scale", args, "rules", confidence=0.5, lang=d.lang))
        return Reading(Clarify(messages.question("stop", d.lang, name=name), d.lang, proposals), 0.9, None)

    def _no_command(self, d: _Draft) -> Reading:
        """No command word at all: a follow-up, a bare app name, small talk, or something else."""
        sig, ents, previous = d.sig, d.ents, d.context.previous
        repeat = sig.has("also") or ents.also or sig.has("again") or (ents.namespace and not d.names)
        # "이번엔 200줄로" after logs, "지난 6시간으로" after metrics: the same request, one value changed
        repeat = repeat or (previous is not None and not d.names and _carries(previous.command, ents))
        swap = sig.has("swap") and len(d.names) == 1
        if previous is not None and previous.command in self._commands and (repeat or swap):
            info = self._commands[previous.command]
            fields = info.args_model.model_fields
            apps = [c.word for c in d.names if not d.vocab.is_known(c.word) or c.word in d.context.app_names]
            # "what about staging?", "prod는?": a namespace word typed bare is the new namespace
            bare = [c.word for c in d.names if c.word not in apps]
            namespace = ents.namespace or (d.vocab.resolve(bare[0]) if bare else None)
            overrides: dict[str, Any] = {"namespace": namespace}
            overrides.update(command_values(previous.command, ents, fields))
            if len(apps) > 1:
                return self._one_name(d, apps)
            if apps and "name" in fields:  # "api도", "what about api?": the same for another app
                overrides["name"] = apps[0]  # (in the same namespace unless one is named)
            follow = repeat_previous(previous, overrides, set(fields))
            d.command, d.source, d.confidence = previous.command, "context", _SURE
            reading = self._finish(d, info, follow.args, "name" in follow.args)
            if swap and not repeat and info.risk != "read" and isinstance(reading.outcome, Plan):
                # "what about api?" after a restart asks; it is no order to restart api
                plan = replace(reading.outcome, confidence=0.5)
                described = messages.describe(plan.command, plan.args, d.lang)
                question = messages.question("did_you_mean", d.lang, plans=described)
                return Reading(Clarify(question, d.lang, [plan]), _SURE, plan)
            return reading
        wants_count = ents.replicas is not None or ents.relative
        if wants_count and previous is not None and "scale" in self._commands:
            d.command, d.command_score = "scale", 2.5  # "5개로" after any plan about an app
            return self._build(d)
        if sig.has("smalltalk") or not d.names:
            return self._offer_help(d.lang, 0.9 if sig.has("smalltalk") and not d.names else 0.3)
        if "status" not in self._commands:
            return self._offer_help(d.lang, 0.3)
        # just an app name ("nginx?"): most likely its status, but ask
        best = Plan("status", {"name": d.names[0].word}, "rules", confidence=0.5, lang=d.lang)
        described = messages.describe("status", best.args, d.lang)
        question = messages.question("did_you_mean", d.lang, plans=described)
        return Reading(Clarify(question, d.lang, [best]), 0.5, best)

    def _vocab(self, context: PlanningContext) -> NamespaceVocab:
        key = tuple(context.namespaces)
        vocab = self._vocab_cache.get(key)
        if vocab is None:
            if len(self._vocab_cache) > 256:
                self._vocab_cache.clear()
            vocab = namespace_vocab(self._config.staging_namespace, self._config.production_namespace, key)
            self._vocab_cache[key] = vocab
        return vocab


def _reclaim_name(sig: Signals, residual: str, app_names: list[str]) -> None:
    """A cue word of a command that takes no app, used as the app: "billing 재시작", "why is help down".

    When a command that acts on an app is asked for and no other word names the app, a single
    latin cue word of cost/overview/help that is a valid name (and not a common word such as
    "cluster" or "help") is the app. Its signal is dropped
    and the word is put back for the name finder.
    """
    if not any(sig.get(c) >= 1.5 for c in _APP_COMMANDS) or candidates(sig.text, app_names):
        return
    spans = [(start, end, signal) for start, end, signal in sig.spans if signal in _APPLESS]
    for start, end, signal in spans:
        word = residual[start:end].strip()
        once = sum(1 for span in spans if span[2] == signal) == 1
        if once and is_k8s_name(word) and word not in STOPWORDS:
            sig.scores.pop(signal, None)
            sig.text = sig.text[:start] + residual[start:end] + sig.text[end:]
            return


def _reclaim_namespace(sig: Signals, ents: Entities) -> None:
    """"scale api to 9 in billing": a cue word of a command that takes no app, said as the namespace
    ("in billing") of a request about an app, is the namespace. Its signal is dropped and the word
    put back for the namespace finder."""
    if not any(sig.get(c) >= 1.5 for c in _APP_COMMANDS):
        return
    for start, end, signal in sig.spans:
        word = ents.residual[start:end].strip()
        if signal in _APPLESS and word in ents.soft_namespaces:
            sig.scores.pop(signal, None)
            sig.text = sig.text[:start] + ents.residual[start:end] + sig.text[end:]
            return


def _blank_excluded(m: re.Match[str]) -> str:
    group = "name" if m["name"] else "after"
    start, end = m.span(group)
    return m.group(0)[: start - m.start()] + " " * (end - start)


def _joined(text: str, names: list[Candidate]) -> bool:
    """Two candidate names joined by "and"/"랑"/"하고": the user asked for two apps at once."""
    ordered = sorted(names, key=lambda c: c.position)
    for first, second in pairwise(ordered):
        between = text[first.position + len(first.word) : second.position].split()
        if any(token in _CONJUNCTIONS for token in between):
            return True
    return False


def _carries(command: str, ents: Entities) -> bool:
    """Whether the text holds a value of the (read) command's own kind: lines for logs, a span or
    a metric for metrics, a count of entries for history and audit."""
    if command == "logs":
        # ("50줄 더" adds to the lines shown last time: see _more_lines)
        return (ents.lines is not None and not ents.lines_more) or ents.previous or ents.container is not None
    if command == "metrics":
        return ents.since is not None or ents.metric is not None
    if command in ("history", "audit"):
        return ents.entries is not None
    return False


def _more_lines(more: int, args: dict[str, Any], default: Any, previous: Plan | None) -> int:
    """"50줄 더" after a logs plan: the lines shown last time for that app, plus 50."""
    base = default if isinstance(default, int) else 0
    if previous is not None and previous.command == "logs" and previous.args.get("name") == args.get("name"):
        shown = previous.args.get("lines", base)
        base = shown if isinstance(shown, int) else base
    return base + more


def _example_verb(command: str) -> str:
    verbs = {"rollout_history": "history", "get_deployment": "get deployment", "get_service": "get service"}
    return verbs.get(command, command)


# Pydantic's messages for the limits of numbers, in Korean (a Korean question is Korean throughout).
_KO_LIMITS = {  # error type: (its context key, the Korean)
    "greater_than_equal": ("ge", "{limit} 이상이어야 해요"),
    "less_than_equal": ("le", "{limit} 이하여야 해요"),
    "greater_than": ("gt", "{limit}보다 커야 해요"),
    "less_than": ("lt", "{limit}보다 작아야 해요"),
}


def _short_error(exc: ValidationError, lang: Lang = "en") -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    kind = str(first.get("type", ""))
    if lang == "ko" and kind in _KO_LIMITS:
        key, korean = _KO_LIMITS[kind]
        message = korean.format(limit=(first.get("ctx") or {}).get(key, ""))
    return f"{where}: {message}" if where else message
