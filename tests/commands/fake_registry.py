"""A small registry shaped like the canonical command table, with run functions that record calls.

Grammar, policy and pipeline tests use it so they exercise the command core without a cluster;
the end-to-end tests use the real registry against the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from klepaas.commands.arg_types import CommitSha, ImageRef, K8sName, Namespace
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Registry, Risk, Scope
from klepaas.commands.result import Result


class StatusArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    kind: Literal["deployment", "pod", "service"] | None = None


class NamedArgs(Args):
    name: K8sName
    namespace: Namespace | None = None


class ScaleArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    replicas: int = Field(ge=0, le=10_000)


class LogsArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    lines: int = Field(50, ge=1, le=5000)
    previous: bool = False
    container: str | None = None
    all_pods: bool = False


class RollbackArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    revision: int | None = Field(None, ge=1)
    steps_back: int | None = Field(None, ge=1)
    commit: CommitSha | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RollbackArgs:
        if sum(v is not None for v in (self.revision, self.steps_back, self.commit)) > 1:
            raise ValueError("give at most one of revision, steps_back, commit")
        return self


class DeployArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    image: ImageRef | None = None
    repo: str | None = None
    ref: str | None = None


class NamespaceArgs(Args):
    namespace: Namespace | None = None


class NoArgs(Args):
    pass


class HelpArgs(Args):
    command: str | None = None


@dataclass
class Calls:
    """What the fake commands were asked to do, in order."""

    runs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    previews: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    contexts: list[CommandContext] = field(default_factory=list)
    fail_with: BaseException | None = None
    preview_fails: bool = False
    # Called inside every run, before it returns: lets a test look at the world mid-execution.
    during_run: Callable[[], None] | None = None
    # What a rollout command names as its rollout (default: its name and namespace arguments).
    rollout_target: dict[str, Any] | None = None


def build_fake_registry(calls: Calls | None = None) -> Registry:
    calls = calls if calls is not None else Calls()

    def runner(name: str, rollout: bool) -> Any:
        async def run(ctx: CommandContext, args: Args) -> Result:
            calls.runs.append((name, args.model_dump(exclude_none=True)))
            calls.contexts.append(ctx)
            if calls.during_run is not None:
                calls.during_run()
            if calls.fail_with is not None:
                raise calls.fail_with
            data = args.model_dump(mode="json")
            if rollout:  # as the real commands do: they name the rollout they started
                target = calls.rollout_target or {"name": data["name"], "namespace": data["namespace"]}
                data["rollout"] = {"cluster": ctx.cluster, **target}
            return Result(command=name, summary=f"{name} done", data=data)

        return run

    def previewer(name: str) -> Any:
        async def preview(ctx: CommandContext, args: Args) -> Result:
            calls.previews.append((name, args.model_dump(exclude_none=True)))
            if calls.preview_fails:
                return Result(command=name, status="error", summary="dry run failed: not found")
            return Result(command=name, status="info", summary=f"would {name}")

        return preview

    registry = Registry()

    def add(
        name: str,
        model: type[Args],
        risk: Risk,
        *,
        words: tuple[str, ...] = (),
        positional: tuple[str, ...] = (),
        preview: bool = False,
        rollout: bool = False,
        finds_namespace: bool = False,
    ) -> None:
        registry.register(
            CommandSpec(
                name=name,
                help_en=f"{name} help",
                help_ko=f"{name} 도움말",
                args_model=model,
                risk=risk,
                scope=Scope.K8S_WRITE if risk is not Risk.READ else Scope.K8S_READ,
                run=runner(name, rollout),
                words=words,
                positional=positional,
                preview=previewer(name) if preview else None,
                starts_rollout=rollout,
                finds_namespace=finds_namespace,
            )
        )

    add("status", StatusArgs, Risk.READ, positional=("name",), finds_namespace=True)
    add("logs", LogsArgs, Risk.READ, positional=("name",))
    add("restart", NamedArgs, Risk.WRITE, positional=("name",), preview=True, rollout=True)
    add("scale", ScaleArgs, Risk.WRITE, positional=("name", "replicas"), preview=True)
    add("rollback", RollbackArgs, Risk.DANGEROUS, positional=("name",), preview=True, rollout=True)
    add("rollout_history", NamedArgs, Risk.READ, words=("rollout", "history"), positional=("name",))
    add("deploy", DeployArgs, Risk.DANGEROUS, positional=("name",), preview=True, rollout=True)
    add("overview", NamespaceArgs, Risk.READ)
    add("list_pods", NamespaceArgs, Risk.READ)
    add("list_namespaces", NoArgs, Risk.READ)
    add("help", HelpArgs, Risk.READ, positional=("command",))
    return registry
