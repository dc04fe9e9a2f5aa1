"""The command registry: each command defined once, everything else generated from it.

A `CommandSpec` carries the name, the help in Korean and English, the argument model, the risk,
the scope, the function that runs it and the template that renders it. Help text, the structured
grammar, JSON schemas for LLM tools and MCP, and the planner's vocabulary all come from here.
The commands themselves live in `klepaas.commands.builtin` (names and arguments of DESIGN §3);
`klepaas chat help` lists them with their usage.

Semantics are kubectl's: `restart` = `kubectl rollout restart` (the template annotation
`kubectl.kubernetes.io/restartedAt`); `scale` goes through the scale subresource; `rollback` =
`kubectl rollout undo` (previous, N steps back, a revision, or a commit matched against image tags
or a `klepaas.io/commit` annotation); `deploy` = `kubectl set image` on an existing deployment's
container, or a new Deployment (+ Service) for a new app. Lists paginate and make a bounded number
of API calls (never one per object), truncated with "and N more".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from klepaas.commands.result import Result
from klepaas.llm.plan import CommandInfo

if TYPE_CHECKING:
    from klepaas.commands.context import CommandContext


class Risk(StrEnum):
    READ = "read"
    WRITE = "write"
    DANGEROUS = "dangerous"


class Scope(StrEnum):
    K8S_READ = "k8s:read"
    K8S_WRITE = "k8s:write"
    DEPLOY_EXECUTE = "deploy:execute"
    ADMIN_READ = "admin:read"
    ADMIN_WRITE = "admin:write"
    MCP_EXECUTE = "mcp:execute"


class Args(BaseModel):
    """Base of every command's arguments: unknown arguments are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


A = TypeVar("A", bound=Args)

RunFn = Callable[["CommandContext", A], Awaitable[Result]]
StateFn = Callable[["CommandContext", A], Awaitable["dict[str, Any] | None"]]


@dataclass(frozen=True)
class CommandSpec(Generic[A]):
    name: str
    help_en: str
    help_ko: str
    args_model: type[A]
    risk: Risk
    scope: Scope
    run: RunFn[A]
    # Template under klepaas/templates/ that renders this command's Result for Slack.
    template: str = "result"
    # Structured grammar: the words that name the command ("list pods") and the argument names
    # taken positionally, in order ("scale api 3" -> name, replicas).
    words: tuple[str, ...] = ()
    positional: tuple[str, ...] = ()
    # A server-side dry run describing what would change; shown in approval requests.
    preview: RunFn[A] | None = None
    # Whether running it starts a rollout that front doors should follow live.
    starts_rollout: bool = False
    # The target's state as an approval sees it (e.g. a deployment's generation and images): taken
    # after the preview and again once approved; if it changed, the approval is stale (not run).
    target_state: StateFn[A] | None = None
    # Offered to planners (rules vocabulary, LLM tools). Admin commands are typed, not asked for,
    # and leave the LLM tool budget to the commands people phrase in their own words.
    planner: bool = True
    # With all namespaces ('*'), a command about one object finds the namespace holding it (e.g.
    # "status checkout -n all") rather than being refused as only list commands take '*'.
    finds_namespace: bool = False

    @property
    def grammar_words(self) -> tuple[str, ...]:
        return self.words or tuple(self.name.split("_"))

    @property
    def usage(self) -> str:
        parts = [" ".join(self.grammar_words)]
        fields = self.args_model.model_fields
        for name in self.positional:
            field = fields[name]
            parts.append(f"<{name}>" if field.is_required() else f"[{name}]")
        for name, field in fields.items():
            if name in self.positional:
                continue
            flag = "-n" if name == "namespace" else f"--{name.replace('_', '-')}"
            parts.append(f"{flag} <{name}>" if field.is_required() else f"[{flag} <{name}>]")
        return " ".join(parts)

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()

    def info(self) -> CommandInfo:
        return CommandInfo(
            name=self.name,
            help_en=self.help_en,
            help_ko=self.help_ko,
            risk=self.risk.value,
            args_model=self.args_model,
            usage=self.usage,
            finds_namespace=self.finds_namespace,
        )


class UnknownCommand(KeyError):
    pass


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec[Any]] = {}

    def register(self, spec: CommandSpec[Any]) -> CommandSpec[Any]:
        if spec.name in self._specs:
            raise ValueError(f"command {spec.name!r} is defined twice")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> CommandSpec[Any]:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownCommand(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[CommandSpec[Any]]:
        return iter(self._specs.values())

    def names(self) -> list[str]:
        return list(self._specs)

    def infos(self) -> list[CommandInfo]:
        """The commands planners may choose (see `CommandSpec.planner`)."""
        return [spec.info() for spec in self if spec.planner]

    def all_infos(self) -> list[CommandInfo]:
        """Every command, for help listings."""
        return [spec.info() for spec in self]
