"""A `KlepaasError` in the user's language: its message and hint as a person should read them.

The layers below the commands speak English on purpose: the gateway (`klepaas.k8s.errors`), the
cluster registry, the grammar and pydantic each word their errors once, for logs and for English
speakers. For a Korean request the command layer re-words them here, in one place:

- a message or hint that already holds Hangul was written for this person: it stays;
- a `ResourceNotFound` is re-worded from its fields (kind, name, namespace, suggestions);
- a `UsageError`'s problems ("replicas is missing; unknown option --x") one by one;
- any other message is recognised by the catalogue's English wording of it (`k8s.*`, `app.*`,
  `hint.*` entries of `klepaas.commands.i18n`: the English side is exactly what the lower layer
  says), its parts ("deployment "api" in namespace "staging"", the verb) re-worded, and said with
  the Korean side of the same entry;
- anything not recognised keeps its own words after a Korean sentence for its kind
  ("권한이 없습니다: ..."), so a Korean speaker always reads what happened in Korean first.

The server's own words (a Kubernetes Status message) are quoted, not translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from klepaas.commands.grammar import UsageError
from klepaas.commands.i18n import CATALOGUE, kind_label, t
from klepaas.errors import KlepaasError
from klepaas.k8s.errors import ResourceNotFound
from klepaas.llm.plan import Lang

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")

# Whole messages, most specific first: "cannot connect ...: connection refused" before
# "cannot connect ...", a form with ": {detail}" before the same form without.
MESSAGE_KEYS: tuple[str, ...] = (
    "k8s.tls",
    "k8s.unauthorized",
    "k8s.forbidden_detail",
    "k8s.forbidden",
    "k8s.expired_detail",
    "k8s.expired",
    "k8s.watch_expired",
    "k8s.invalid",
    "k8s.rate_limited",
    "k8s.gateway_timeout",
    "k8s.failed_detail",
    "k8s.failed",
    "k8s.unexpected_detail",
    "k8s.unexpected",
    "k8s.config",
    "k8s.resolve",
    "k8s.refused",
    "k8s.connect",
    "k8s.connect_timeout_in",
    "k8s.connect_timeout",
    "k8s.no_answer_in",
    "k8s.no_answer",
    "k8s.lost",
    "k8s.cannot_talk",
    "k8s.unknown_cluster",
    "k8s.no_config",
    "k8s.no_context",
    "k8s.connections_closed",
    "k8s.deleted_during_rollout",
    "k8s.already_exists",
    "k8s.conflict",
    "k8s.not_found_detail",
    "k8s.not_found",
    "app.unknown_command",
)
HINT_KEYS: tuple[str, ...] = (
    "hint.k8s.certificate",
    "hint.k8s.credentials",
    "hint.k8s.try_again",
    "hint.k8s.try_again_in",
    "hint.k8s.server_url",
    "hint.k8s.server_running",
    "hint.k8s.known_clusters",
    "hint.k8s.set_kubeconfig",
    "hint.k8s.set_context",
    "hint.help",
    "hint.approval_elsewhere",
)
# One problem of a usage error (the grammar joins several with "; ").
PROBLEM_KEYS: tuple[str, ...] = (
    "usage.unreadable",
    "usage.cluster_name",
    "usage.one_namespace",
    "usage.unknown_option",
    "usage.needs_value",
    "usage.twice",
    "usage.missing",
    "usage.unknown_argument",
    "usage.invalid",
    "usage.unexpected",
    "usage.field",  # last: it matches any "field: words"
)
_PROBLEMS_WITH_SEMICOLONS = tuple(key for key in PROBLEM_KEYS if "; " in CATALOGUE[key]["en"])
# What pydantic and our validators say about one value (after "field: ").
VALUE_KEYS: tuple[str, ...] = (
    "value.ge",
    "value.le",
    "value.gt",
    "value.lt",
    "value.int",
    "value.int_fraction",
    "value.bool",
    "value.str_max",
    "value.str_min_one",
    "value.str_min",
    "value.name",
    "value.label",
    "value.image",
    "value.repo",
    "value.ref",
    "value.commit",
    "value.rollback_one_of",
    "value.deploy_what",
    "value.deploy_not_both",
    "value.deploy_name",
    "value.choice",
)
WHAT_KEYS: tuple[str, ...] = ("what.one_in", "what.one", "what.all_in", "what.all")
VERBS: tuple[str, ...] = tuple(
    key.removeprefix("verb.") for key in sorted(CATALOGUE, key=len, reverse=True) if key.startswith("verb.")
)

# What each placeholder may match; anything else matches lazily.
_SLOTS: dict[str, str] = {
    "where": r'(?: "[^"]*")?',
    "seconds": r"[0-9]+(?:\.[0-9]+)?",
    "code": r"[0-9]{3}",
    "limit": r"-?[0-9]+(?:\.[0-9]+)?",
    "kind": r"[a-z]+?",
    "verb": "|".join(re.escape(verb) for verb in VERBS),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Words:
    """An error's message and hint, in one language."""

    message: str
    hint: str | None


def error_words(error: KlepaasError, lang: Lang) -> Words:
    """What `error` says, in `lang`. English is the error's own words."""
    if lang != "ko":
        return Words(error.message, error.hint)
    if isinstance(error, ResourceNotFound) and not has_hangul(error.message):
        found = localised_not_found(error, lang)
        return Words(found.message, found.hint)
    if isinstance(error, UsageError):
        message = error.message if has_hangul(error.message) else usage_problem(error.problem, lang)
        return Words(message, f"{t(lang, 'word.usage')}: {error.usage}")
    message = error.message if has_hangul(error.message) else sentence(error, lang)
    return Words(message, localised_hint(error.hint, lang))


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


def sentence(error: KlepaasError, lang: Lang) -> str:
    """The error's message said in `lang`: a recognised wording, else its kind and its words."""
    reworded = reword(error.message, MESSAGE_KEYS, lang)
    if reworded is not None:
        return reworded
    key = f"fallback.{error.code}"
    return t(lang, key if key in CATALOGUE else "fallback.error", detail=error.message)


def localised_hint(hint: str | None, lang: Lang) -> str | None:
    if hint is None or lang != "ko" or has_hangul(hint):
        return hint
    return reword(hint, HINT_KEYS, lang) or t(lang, "fallback.hint", detail=hint)


def usage_problem(problem: str, lang: Lang) -> str:
    """A usage error's problems ("a is missing; b: Input should be ...") said in `lang`."""
    whole = reword(problem, _PROBLEMS_WITH_SEMICOLONS, lang)  # one problem whose words hold "; "
    if whole is not None:
        return whole
    said = "; ".join(reword(part, PROBLEM_KEYS, lang) or part for part in problem.split("; "))
    return said if has_hangul(said) else t(lang, "fallback.usage", detail=problem)


ROLLOUT_KEYS: tuple[str, ...] = (
    "rollout.observing",
    "rollout.deadline",
    "rollout.pod_failing",
    "rollout.updating",
    "rollout.terminating",
    "rollout.available",
    "rollout.done",
    "k8s.deleted_during_rollout",
)


def rollout_message(message: str, lang: Lang) -> str:
    """A rollout snapshot's message (`klepaas.k8s.rollout` words it in English) in `lang`."""
    if lang == "en" or not message:
        return message
    timed_out = _pattern("rollout.timed_out").fullmatch(message)
    if timed_out is not None:
        inner = rollout_message(timed_out.group("message"), lang)
        return t(lang, "rollout.timed_out", seconds=timed_out.group("seconds"), message=inner)
    return reword(message, ROLLOUT_KEYS, lang) or message


POLICY_KEYS: tuple[str, ...] = (
    "policy.channel_namespaces",
    "policy.channel_cluster",
    "policy.role_scope",
    "policy.production_no_rule",
)


def policy_reason(reason: str, lang: Lang) -> str:
    """A policy decision's reason in `lang` (the policy words it in English)."""
    if lang == "en" or has_hangul(reason):
        return reason
    return reword(reason, POLICY_KEYS, lang) or reason


def reword(text: str, keys: Iterable[str], lang: Lang) -> str | None:
    """`text` said with the first of `keys` whose English wording it is, in `lang`; or None."""
    for key in keys:
        match = _pattern(key).fullmatch(text)
        if match is not None:
            values = {name: _value(key, name, value or "", lang) for name, value in match.groupdict().items()}
            return t(lang, key, **values)
    return None


def _value(key: str, name: str, value: str, lang: Lang) -> str:
    """One recognised part, said in `lang` where it is ours to say (a server's words are quoted)."""
    if name == "verb":
        return t(lang, f"verb.{value}")
    if name == "what":
        return describe_what(value, lang)
    if key == "usage.field" and name == "detail":  # what pydantic or a validator said of the value
        return reword(value, VALUE_KEYS, lang) or value
    return value


def describe_what(text: str, lang: Lang) -> str:
    """`deployment "api" in namespace "staging"` (how the gateway names an object) in `lang`."""
    if text == CATALOGUE["what.resource"]["en"]:
        return t(lang, "what.resource")
    for key in WHAT_KEYS:
        match = _pattern(key).fullmatch(text)
        if match is not None:
            values = match.groupdict()
            values["kind"] = kind_label(lang, values["kind"])
            return t(lang, key, **values)
    return text


@cache
def _pattern(key: str) -> re.Pattern[str]:
    """The English wording of `key` as a pattern, each placeholder a named group."""
    english = CATALOGUE[key]["en"]
    parts: list[str] = []
    position = 0
    for found in _PLACEHOLDER.finditer(english):
        parts.append(re.escape(english[position : found.start()]))
        name = found.group(1)
        parts.append(f"(?P<{name}>{_SLOTS.get(name, '.+?')})")
        position = found.end()
    parts.append(re.escape(english[position:]))
    return re.compile("".join(parts))


def localised_not_found(exc: ResourceNotFound, lang: Lang) -> ResourceNotFound:
    """The same not-found, worded in `lang` from its fields; suggestions become "did you mean"."""
    error = ResourceNotFound(exc.kind, exc.name, exc.namespace, suggestions=list(exc.suggestions))
    kind = kind_label(lang, exc.kind)
    if exc.namespace:
        error.message = t(lang, "err.not_found_in", kind=kind, name=exc.name, namespace=exc.namespace)
    else:
        error.message = t(lang, "err.not_found", kind=kind, name=exc.name)
    if exc.suggestions:
        error.hint = t(lang, "hint.did_you_mean", names=", ".join(f'"{s}"' for s in exc.suggestions[:3]))
    elif exc.hint:
        error.hint = exc.hint
    error.args = (error.message,)
    return error
