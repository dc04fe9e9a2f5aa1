"""The policy seam: may this actor run this command here, and does it need an approval?

`Policy.decide` is the one question the pipeline asks. `DefaultPolicy` needs no file: everyone may
read; write needs an approval unless settings say otherwise; dangerous commands and anything in
the production namespace always need one. Roles, channel bindings from the policy file and
approver rules (DESIGN §3) plug in here later as another `Policy`/`Bindings`, not in the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from klepaas.commands.context import Actor
from klepaas.commands.registry import Args, CommandSpec, Risk
from klepaas.config import Settings


class Action(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REQUIRE_APPROVAL = "require_approval"


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: str  # which rule decided, for the audit log ("read-allowed", "production-needs-approval")
    reason: str  # one sentence for the person asking

    @property
    def allowed(self) -> bool:
        return self.action is Action.ALLOW

    @property
    def denied(self) -> bool:
        return self.action is Action.DENY

    @property
    def needs_approval(self) -> bool:
        return self.action is Action.REQUIRE_APPROVAL


class Policy(Protocol):
    def decide(self, actor: Actor, spec: CommandSpec[Any], args: Args, namespace: str | None) -> Decision: ...


@dataclass(frozen=True)
class ChannelBinding:
    """A channel's cluster and namespaces; the first namespace is the channel's default."""

    cluster: str | None = None
    namespaces: tuple[str, ...] = ()

    @property
    def default_namespace(self) -> str | None:
        return self.namespaces[0] if self.namespaces else None


class Bindings(Protocol):
    def for_actor(self, actor: Actor) -> ChannelBinding | None: ...


@dataclass(frozen=True)
class StaticBindings:
    """Channel id → binding, from a mapping (the policy file will build one of these)."""

    channels: Mapping[str, ChannelBinding] = field(default_factory=dict)

    def for_actor(self, actor: Actor) -> ChannelBinding | None:
        return self.channels.get(actor.channel) if actor.channel else None


class DefaultPolicy:
    """Risk-based rules that need no configuration beyond Settings."""

    def __init__(self, settings: Settings, bindings: Bindings | None = None) -> None:
        self._require_for_write = settings.policy.require_approval_for_write
        self._production = settings.kube.production_namespace
        self._bindings = bindings or StaticBindings()

    def decide(self, actor: Actor, spec: CommandSpec[Any], args: Args, namespace: str | None) -> Decision:
        binding = self._bindings.for_actor(actor)
        if binding and binding.namespaces and namespace is not None:
            outside = _outside(namespace, binding.namespaces)
            if outside:
                return Decision(
                    Action.DENY,
                    "channel-namespaces",
                    f"This channel may only use namespace(s) {', '.join(binding.namespaces)}, not {outside}.",
                )
        if spec.risk is Risk.READ:
            return Decision(Action.ALLOW, "read-allowed", "Reading is allowed for everyone.")
        if spec.risk is Risk.DANGEROUS:
            return Decision(
                Action.REQUIRE_APPROVAL,
                "dangerous-needs-approval",
                f"{spec.name} is a dangerous command and always needs an approval.",
            )
        if namespace is not None and namespace in (self._production, "*"):
            return Decision(
                Action.REQUIRE_APPROVAL,
                "production-needs-approval",
                f"Changes in the production namespace {self._production!r} always need an approval.",
            )
        if self._require_for_write:
            return Decision(
                Action.REQUIRE_APPROVAL,
                "write-needs-approval",
                f"{spec.name} changes the cluster and needs an approval.",
            )
        return Decision(
            Action.ALLOW, "write-allowed", "Changes outside production run without approval here."
        )


def _outside(namespace: str, allowed: Sequence[str]) -> str | None:
    # "*" in a bound channel means the bound namespaces: the commands narrow it themselves.
    return None if namespace == "*" or namespace in allowed else namespace
