"""Shared pieces for the planner tests: the command list, the corpus loader and a plan comparer.

The commands come from the real registry (`klepaas.commands.builtin.build_registry`) when it
imports; otherwise from local args models that mirror it, so the planner tests do not break while
the command layer is being edited.

Corpus expectations say what the user asked for; they are compared *through the command's args
model*: expected args the model does not have are dropped, defaults are dropped (so "lines: 100"
matches a plan without lines when 100 is the default), and an expected plan the model rejects
(e.g. a repo without a ref) means the right answer is a question.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from klepaas.commands.arg_types import (
    CommitSha,
    ContainerName,
    GitRef,
    ImageRef,
    K8sName,
    LogLines,
    Namespace,
    Replicas,
    RepoName,
    Revision,
    StatusKind,
    StepsBack,
)
from klepaas.llm.plan import Clarify, CommandInfo, Plan, PlanningContext

CORPUS_DIR = Path(__file__).parent / "corpus"
HELDOUT_PREFIX = "heldout"  # heldout.yaml, heldout_3.yaml …: batches written before tuning


def is_heldout(file: str) -> bool:
    return file.startswith(HELDOUT_PREFIX)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Named(_Args):
    name: K8sName
    namespace: Namespace | None = None


class _Namespaced(_Args):
    namespace: Namespace | None = None


class StatusArgs(_Args):
    name: K8sName | None = None
    namespace: Namespace | None = None
    kind: StatusKind = "deployment"


class EndpointArgs(_Args):
    name: K8sName | None = None
    namespace: Namespace | None = None


class LogsArgs(_Named):
    lines: LogLines = 100
    previous: bool = False
    container: ContainerName | None = None


class ScaleArgs(_Named):
    replicas: Replicas


class RollbackArgs(_Named):
    revision: Revision | None = None
    steps_back: StepsBack | None = None
    commit: CommitSha | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> RollbackArgs:
        if sum(v is not None for v in (self.revision, self.steps_back, self.commit)) > 1:
            raise ValueError("give at most one of revision, steps_back, commit")
        return self


class DeployArgs(_Args):
    name: K8sName | None = None
    namespace: Namespace | None = None
    image: ImageRef | None = None
    repo: RepoName | None = None
    ref: GitRef | None = None

    @model_validator(mode="after")
    def _what_to_deploy(self) -> DeployArgs:
        if self.image is None and self.ref is None:
            raise ValueError("give an image (e.g. nginx:1.27), or a repo and ref")
        if self.image is not None and self.ref is not None:
            raise ValueError("give either an image or a ref, not both")
        if self.name is None and self.repo is None:
            raise ValueError("name the app to deploy")
        return self


class OverviewArgs(_Args):
    namespace: Namespace | None = None


class NoArgs(_Args):
    pass


class HelpArgs(_Args):
    pass


def _local_commands() -> list[CommandInfo]:
    def info(
        name: str, risk: Literal["read", "write", "dangerous"], model: type[BaseModel], en: str
    ) -> CommandInfo:
        return CommandInfo(name, en, en, risk, model)

    return [
        replace(
            info("status", "read", StatusArgs, "Show the status of an app, pod or service"),
            finds_namespace=True,
        ),
        info("logs", "read", LogsArgs, "Show recent logs of an app"),
        info("endpoint", "read", EndpointArgs, "Show how to reach an app"),
        info("restart", "write", _Named, "Restart an app (rollout restart)"),
        info("scale", "write", ScaleArgs, "Change the number of replicas of an app"),
        info("rollback", "dangerous", RollbackArgs, "Roll an app back to an earlier revision"),
        info("rollout_history", "read", _Named, "Show an app's rollout history"),
        info("deploy", "dangerous", DeployArgs, "Deploy an image or a repo to an app"),
        info("overview", "read", OverviewArgs, "Overview of the cluster or a namespace"),
        info("list_pods", "read", _Namespaced, "List pods"),
        info("list_deployments", "read", _Namespaced, "List deployments"),
        info("list_services", "read", _Namespaced, "List services"),
        info("list_ingresses", "read", _Namespaced, "List ingresses"),
        info("list_endpoints", "read", _Namespaced, "List endpoints"),
        info("list_namespaces", "read", NoArgs, "List namespaces"),
        info("list_apps", "read", _Namespaced, "List apps"),
        info("get_deployment", "read", _Named, "Show a deployment"),
        info("get_service", "read", _Named, "Show a service"),
        info("cost_analysis", "read", _Namespaced, "Estimate cost"),
        info("help", "read", HelpArgs, "Show help"),
    ]


def command_infos() -> list[CommandInfo]:
    """The real registry's commands when available, else the local mirror."""
    try:
        from klepaas.commands.builtin import build_registry

        return build_registry().infos()
    except ImportError:
        return _local_commands()


@dataclass(frozen=True)
class Case:
    file: str
    text: str
    command: str | None
    args: dict[str, Any]
    clarify: bool
    context: PlanningContext = field(default_factory=PlanningContext)

    def expectation(self, commands: dict[str, CommandInfo]) -> tuple[str, dict[str, Any]] | None:
        """The expected (command, args) as the command's model sees them; None = a question."""
        if self.clarify or self.command is None:
            return None
        model = commands[self.command].args_model
        args = {k: v for k, v in self.args.items() if k in model.model_fields}
        try:
            validated = model.model_validate(args)
        except ValidationError:
            return None
        return self.command, validated.model_dump(exclude_defaults=True, mode="json")

    def check(self, outcome: Plan | Clarify, commands: dict[str, CommandInfo]) -> bool:
        expected = self.expectation(commands)
        if expected is None:
            return isinstance(outcome, Clarify)
        if not isinstance(outcome, Plan) or outcome.command != expected[0]:
            return False
        return _same_args(outcome.args, expected[1])

    def expected(self, commands: dict[str, CommandInfo]) -> str:
        expected = self.expectation(commands)
        return "clarify" if expected is None else f"{expected[0]} {expected[1]}"


# A rollback's `at` is "now" minus what was said: the corpus writes it relative ("-3d"), the args
# model makes it absolute when the expectation is read, a moment after the plan was made.
_AT_TOLERANCE = timedelta(minutes=2)


def _same_args(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if "at" in got and "at" in want:
        apart = abs(_moment(got["at"]) - _moment(want["at"]))
        got, want = dict(got), dict(want)
        del got["at"], want["at"]
        return apart <= _AT_TOLERANCE and got == want
    return got == want


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _context(raw: dict[str, Any] | None) -> PlanningContext:
    if not raw:
        return PlanningContext()
    previous = raw.get("previous")
    return PlanningContext(
        namespaces=list(raw.get("namespaces", [])),
        app_names=list(raw.get("apps", [])),
        previous=Plan(previous["command"], dict(previous.get("args", {})), "rules") if previous else None,
    )


def load_corpus(include_heldout: bool = False, only_heldout: bool = False) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        heldout = is_heldout(path.name)
        if (only_heldout and not heldout) or (heldout and not (include_heldout or only_heldout)):
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(
                Case(
                    file=path.name,
                    text=str(item["text"]),
                    command=item.get("command"),
                    args=dict(item.get("args") or {}),
                    clarify=bool(item.get("clarify", False)),
                    context=_context(item.get("context")),
                )
            )
    return cases


def describe_outcome(outcome: Plan | Clarify) -> str:
    if isinstance(outcome, Plan):
        return f"{outcome.command} {outcome.args} ({outcome.source}, {outcome.confidence})"
    return f"clarify: {outcome.question[:70]}"
