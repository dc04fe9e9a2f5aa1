"""What front doors hand the pipeline and what they get back: Request in, Outcome out.

Also the two seams a front door or the composition supplies: `Approver` (asks a person) and
`Planner` (text to a plan or a question).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from klepaas.commands.context import Actor
from klepaas.commands.policy import Decision
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.llm.plan import Clarify, Lang, Plan, PlanningContext


class Planner(Protocol):
    async def plan(self, text: str, context: PlanningContext) -> Plan | Clarify: ...


@dataclass(frozen=True)
class ApprovalAnswer:
    """What an approver may return instead of a bare bool: who decided."""

    approved: bool
    approver: str | None = None
    # What the target looked like when the approval was asked (`target_state` of the preview), when
    # the approver kept it (an approval decided after a restart); else the pipeline's own capture.
    approved_state: Mapping[str, Any] | None = None


class Approver(Protocol):
    """Supplied by the front door: asks a person whether the planned command may run.

    An approver that answers without asking anyone (the console's `--yes`) may say so with a
    true `answers_at_once` attribute: the pipeline then skips the stale-approval guard's reads of
    the target, as nothing can change between a preview and an answer that takes no time."""

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> bool | ApprovalAnswer: ...


@dataclass(frozen=True)
class Request:
    """One request from a front door: free text, or a command with raw arguments."""

    actor: Actor
    text: str | None = None
    command: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    lang: Lang | None = None
    cluster: str | None = None  # kubeconfig context; None = the channel's, else the default one
    channel: str | None = None  # overrides actor.channel when given
    previous: Plan | None = None  # the session's previous plan, for follow-ups
    # The conversation (Slack thread, console session) this belongs to: with no `previous`, the
    # pipeline reads the conversation's last plan from its store, and remembers this one.
    conversation: str | None = None
    # The audit row begun (pending) when the front door accepted the request, before it waited
    # for its turn: the pipeline completes that row rather than beginning a second one.
    audit_id: int | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.command is None):
            raise ValueError("a Request has either text or a command, not both and not neither")

    @property
    def effective_actor(self) -> Actor:
        if self.channel is not None and self.channel != self.actor.channel:
            return replace(self.actor, channel=self.channel)
        return self.actor


@dataclass(frozen=True)
class Approval:
    required: bool
    approved: bool | None = None  # None: not asked (not required, or refused before asking)
    approver: str | None = None
    preview: Result | None = None


@dataclass(frozen=True)
class RolloutTarget:
    """A deployment whose rollout the command started; front doors may follow it."""

    cluster: str | None
    namespace: str
    name: str


@dataclass(frozen=True)
class Outcome:
    result: Result
    plan: Plan | None = None
    clarify: Clarify | None = None
    decision: Decision | None = None
    audit_id: int | None = None
    approval: Approval | None = None
    namespace: str | None = None
    cluster: str | None = None
    rollout: RolloutTarget | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": _plan_json(self.plan),
            "clarify": None
            if self.clarify is None
            else {"question": self.clarify.question, "source": self.clarify.source},
            "decision": None
            if self.decision is None
            else {
                "action": self.decision.action.value,
                "rule": self.decision.rule,
                "reason": self.decision.reason,
            },
            "approval": None
            if self.approval is None
            else {
                "required": self.approval.required,
                "approved": self.approval.approved,
                "approver": self.approval.approver,
                "preview": None
                if self.approval.preview is None
                else self.approval.preview.model_dump(mode="json"),
            },
            "namespace": self.namespace,
            "cluster": self.cluster,
            "rollout": None
            if self.rollout is None
            else {
                "cluster": self.rollout.cluster,
                "namespace": self.rollout.namespace,
                "name": self.rollout.name,
            },
            "audit_id": self.audit_id,
            "result": self.result.model_dump(mode="json"),
        }


def _plan_json(plan: Plan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {"command": plan.command, "args": plan.args, "source": plan.source, "confidence": plan.confidence}
