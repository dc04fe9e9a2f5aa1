"""The structured grammar for slash commands and the console, generated from the registry.

    status nginx                      restart nginx -n staging
    scale api 3 -n staging            logs api --lines 100 --previous
    rollback api --to 3 | --steps 2 | --commit abc1234 | --at 2026-11-27T10:00Z | --ago 3d
    deploy api image=nginx:1.27       list pods -n all          help [command]
    --cluster NAME                    (anywhere: which kubeconfig context)

Each spec contributes its `grammar_words` ("list pods"; its name "list_pods" works too) and its
`positional` argument names. Every other field is a `--flag VALUE` (`--flag=VALUE`, or `key=value`);
a boolean field is a bare `--flag` (`--no-flag` for false). `-n`/`--namespace` take a namespace, `all`
meaning every namespace (`"*"`); `-A` is kubectl's all-namespaces.

`Grammar.parse(text)` returns a validated `Structured` command, `None` when the first words name
no command (free text: the planner's turn), or raises `UsageError` naming what was wrong together
with the command's usage.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from klepaas.commands.arg_types import shown
from klepaas.commands.registry import Args, CommandSpec, Registry
from klepaas.errors import UserError
from klepaas.llm.plan import Plan

ALL_NAMESPACES = "*"
# Whitespace other than the ASCII kinds shlex splits on.
_UNICODE_SPACE = re.compile(r"[^\S \t\r\n]")
# Without quotes or backslashes, shlex's split is str.split's (and fifty times slower).
_QUOTING = re.compile(r"['\"\\]")
_SHLEX_PROBLEMS = {
    "No closing quotation": "a quotation mark (' or \") is not closed",
    "No escaped character": "a backslash (\\) at the end escapes nothing",
}

# Unit words after a number, skipped: "logs api 100 lines", "scale api 3 replicas".
_UNIT_WORDS = frozenset({"lines", "line", "replicas", "replica", "pods", "pod", "copies"})
# Friendly flag spellings → field names, used only when the command has that field.
_FLAG_ALIASES: dict[str, str] = {
    "to": "revision",
    "steps": "steps_back",
    "ago": "at",  # rollback --ago 3d: what was live 3 days ago
    "tail": "lines",
    "ns": "namespace",
}
# kubectl's short flags → field names, used only when the command has that field.
_SHORT_FLAGS: dict[str, str] = {"n": "namespace", "c": "container", "p": "previous"}


class UsageError(UserError):
    """A command was recognised but its arguments were not: says what was wrong and the usage."""

    code = "usage"

    def __init__(self, problem: str, spec: CommandSpec[Any]) -> None:
        super().__init__(problem, hint=f"usage: {spec.usage}")
        self.problem = problem
        self.command = spec.name
        self.usage = spec.usage


@dataclass(frozen=True)
class Structured:
    """A parsed structured command: the spec, validated args, and the explicit fields as a Plan."""

    spec: CommandSpec[Any]
    args: Args
    plan: Plan
    cluster: str | None = None


class Grammar:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._phrases: dict[tuple[str, ...], CommandSpec[Any]] = {}
        for spec in registry:
            for phrase in (spec.grammar_words, (spec.name,), (spec.name.replace("_", "-"),)):
                self._phrases.setdefault(tuple(word.lower() for word in phrase), spec)
        self._longest = max((len(phrase) for phrase in self._phrases), default=0)

    def match(self, text: str) -> tuple[CommandSpec[Any], int] | None:
        """The command named by the first words of `text` (longest phrase wins) and how many words."""
        words = [word.lower() for word in text.split()]
        for size in range(min(self._longest, len(words)), 0, -1):
            spec = self._phrases.get(tuple(words[:size]))
            if spec is not None:
                return spec, size
        return None

    def is_structured(self, text: str) -> bool:
        return self.match(_strip_leading_globals(text)) is not None

    def parse(self, text: str) -> Structured | None:
        # A no-break or ideographic space (Korean keyboards, macOS Option+Space) separates words
        # as a space does; shlex below only knows ASCII whitespace.
        text = _UNICODE_SPACE.sub(" ", text)
        stripped = _strip_leading_globals(text)
        found = self.match(stripped)
        if found is None:
            return None
        spec, size = found
        try:
            tokens = shlex.split(text) if _QUOTING.search(text) else text.split()
        except ValueError as exc:
            problem = _SHLEX_PROBLEMS.get(str(exc), f"could not read the command: {exc}")
            raise UsageError(problem, spec) from None
        cluster, tokens = _take_cluster(tokens, spec)
        raw = _Parser(spec).parse(tokens[size:])
        args = validate_args(spec, raw)
        explicit = args.model_dump(mode="json", exclude_unset=True)
        return Structured(
            spec=spec,
            args=args,
            plan=Plan(command=spec.name, args=explicit, source="structured"),
            cluster=cluster,
        )


def validate_args(spec: CommandSpec[Any], raw: dict[str, Any]) -> Args:
    """Validate raw arguments against the spec's model; a failure is a UsageError naming the fields."""
    try:
        return spec.args_model.model_validate(raw)
    except ValidationError as exc:
        raise UsageError(describe_validation_error(exc), spec) from None


def describe_validation_error(exc: ValidationError) -> str:
    problems: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "missing":
            problems.append(f"{field} is missing")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unknown argument {field}")
        else:  # pydantic prefixes our own ValueErrors' messages with "Value error, "
            problems.append(f"{field}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems) or "invalid arguments"


def _strip_leading_globals(text: str) -> str:
    """`--cluster prod status nginx` → `status nginx` (for matching the command words only)."""
    words = text.split()
    while words and (words[0] == "--cluster" or words[0].startswith("--cluster=")):
        words = words[2:] if words[0] == "--cluster" else words[1:]
    return " ".join(words)


def _take_cluster(tokens: list[str], spec: CommandSpec[Any]) -> tuple[str | None, list[str]]:
    cluster: str | None = None
    rest: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "--cluster":
            if index + 1 >= len(tokens) or tokens[index + 1].startswith("-"):
                raise UsageError("--cluster needs a cluster (kubeconfig context) name", spec)
            cluster = tokens[index + 1]
            index += 2
            continue
        if token.startswith("--cluster="):
            cluster = token.split("=", 1)[1]
            if not cluster:
                raise UsageError("--cluster needs a cluster (kubeconfig context) name", spec)
        else:
            rest.append(token)
        index += 1
    return cluster, rest


class _Parser:
    """Turns the tokens after the command words into a raw argument dict (not yet validated)."""

    def __init__(self, spec: CommandSpec[Any]) -> None:
        self.spec = spec
        self.fields = spec.args_model.model_fields

    def parse(self, tokens: list[str]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        positional = list(self.spec.positional)
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token in ("-A", "--all-namespaces") and "namespace" in self.fields:
                self._put(raw, "namespace", ALL_NAMESPACES)
            elif token.startswith("-") and len(token) > 1 and not _is_number(token):
                index = self._flag(raw, tokens, index)
                continue
            elif "=" in token and token.split("=", 1)[0].replace("-", "_") in self.fields:
                key, value = token.split("=", 1)
                self._put(raw, key.replace("-", "_"), value)
            elif self._filler(token, tokens, index, positional):
                pass
            elif positional:
                self._put(raw, positional.pop(0), token)
            else:
                raise UsageError(f"unexpected '{shown(token)}'", self.spec)
            index += 1
        if "namespace" in raw and raw["namespace"] == "all":
            raw["namespace"] = ALL_NAMESPACES
        return raw

    def _filler(self, token: str, tokens: list[str], index: int, positional: list[str]) -> bool:
        """Words read as English around the values: "scale api to 3", "logs api 100 lines"."""
        word = token.lower()
        if word == "to":  # before a value after the first ("rollback api to 3" keeps --to's meaning)
            after_first = bool(positional) and len(positional) < len(self.spec.positional)
            return after_first and index + 1 < len(tokens)
        return word in _UNIT_WORDS and index > 0 and _is_number(tokens[index - 1])

    def _flag(self, raw: dict[str, Any], tokens: list[str], index: int) -> int:
        token = tokens[index]
        inline: str | None = None
        if token.startswith("--"):
            name, _, value = token[2:].partition("=")
            inline = value if "=" in token else None
            field = self._field_for(name)
        else:
            name, inline = token[1:2], (token[2:].lstrip("=") or None)
            field = _SHORT_FLAGS.get(name)
            if field not in self.fields:
                field = None
        if field is None:
            negated = self._field_for(token[5:]) if token.startswith("--no-") and inline is None else None
            if negated is not None and self._is_bool(negated):
                self._put(raw, negated, False)
                return index + 1
            raise UsageError(f"unknown option {shown(token.split('=', 1)[0])}", self.spec)
        if self._is_bool(field):
            self._put(raw, field, True if inline is None else inline)
            return index + 1
        if inline is not None:
            self._put(raw, field, inline)
            return index + 1
        if index + 1 >= len(tokens):
            raise UsageError(f"{shown(token)} needs a value", self.spec)
        self._put(raw, field, tokens[index + 1])
        return index + 2

    def _field_for(self, flag: str) -> str | None:
        name = flag.replace("-", "_")
        if name in self.fields:
            return name
        aliased = _FLAG_ALIASES.get(name)
        if aliased in self.fields:
            return aliased
        for field_name, info in self.fields.items():
            if info.alias == name or info.alias == flag:
                return field_name
        return None

    def _is_bool(self, field: str) -> bool:
        info = self.fields.get(field)
        return info is not None and info.annotation in (bool, bool | None)

    def _put(self, raw: dict[str, Any], field: str, value: Any) -> None:
        if field in raw:
            raise UsageError(f"{field} is given twice", self.spec)
        raw[field] = value


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
