from __future__ import annotations

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.policy import Action, ChannelBinding, Decision, DefaultPolicy, StaticBindings
from klepaas.config import PolicySettings, Settings
from tests.commands.fake_registry import NamedArgs, NamespaceArgs, build_fake_registry

REGISTRY = build_fake_registry()
CONSOLE = Actor(id="me", source="console")


def decide(
    command: str,
    namespace: str | None,
    *,
    write_needs_approval: bool = True,
    actor: Actor = CONSOLE,
    bindings: StaticBindings | None = None,
) -> Decision:
    settings = Settings(policy=PolicySettings(require_approval_for_write=write_needs_approval))
    spec = REGISTRY.get(command)
    args = (
        NamespaceArgs(namespace=namespace)
        if command == "list_pods"
        else NamedArgs(name="api", namespace=namespace)
    )
    return DefaultPolicy(settings, bindings).decide(actor, spec, args, namespace)


@pytest.mark.parametrize(
    ("command", "namespace", "write_needs_approval", "action", "rule"),
    [
        ("status", "production", True, Action.ALLOW, "read-allowed"),
        ("list_pods", "*", True, Action.ALLOW, "read-allowed"),
        ("restart", "staging", True, Action.REQUIRE_APPROVAL, "write-needs-approval"),
        ("restart", "staging", False, Action.ALLOW, "write-allowed"),
        ("restart", "production", False, Action.REQUIRE_APPROVAL, "production-needs-approval"),
        ("rollback", "staging", False, Action.REQUIRE_APPROVAL, "dangerous-needs-approval"),
        ("deploy", "default", False, Action.REQUIRE_APPROVAL, "dangerous-needs-approval"),
    ],
)
def test_the_default_policy_lets_everyone_read_and_asks_for_changes(
    command: str, namespace: str, write_needs_approval: bool, action: Action, rule: str
) -> None:
    decision = decide(command, namespace, write_needs_approval=write_needs_approval)
    assert (decision.action, decision.rule) == (action, rule)
    assert decision.reason


def test_a_channel_bound_to_namespaces_may_not_reach_outside_them() -> None:
    actor = Actor(id="U1", source="slack", channel="C1")
    bindings = StaticBindings({"C1": ChannelBinding(namespaces=("staging",))})
    assert decide("status", "staging", actor=actor, bindings=bindings).allowed
    assert decide("list_pods", "*", actor=actor, bindings=bindings).allowed  # narrowed to the binding
    denied = decide("status", "default", actor=actor, bindings=bindings)
    assert (denied.action, denied.rule) == (Action.DENY, "channel-namespaces")
    other_channel = Actor(id="U1", source="slack", channel="C2")
    assert decide("status", "default", actor=other_channel, bindings=bindings).allowed
