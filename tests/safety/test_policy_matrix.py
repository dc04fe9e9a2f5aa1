"""The policy matrix: every registry command × role × namespace × bound/unbound channel, and for
each request that needs an approval, who may approve it (requester, operator, admin, viewer).

The cases are generated from the registry (a new command joins the matrix by being registered);
the expectation is the policy's written contract (docs/policy.md), stated once in `expected`.
"""

from __future__ import annotations

from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.policy import Action, RolePolicy
from klepaas.commands.registry import CommandSpec, Risk, Scope
from tests.safety.policies import (
    ADMIN,
    DEPLOYER,
    OPERATOR,
    REGISTRY,
    STAGING_CHANNEL,
    UNBOUND_CHANNEL,
    VIEWER,
    role_policy,
)

POLICY = role_policy()
SCOPES = {
    VIEWER: {Scope.K8S_READ},
    OPERATOR: {Scope.K8S_READ, Scope.K8S_WRITE, Scope.DEPLOY_EXECUTE, Scope.MCP_EXECUTE},
    DEPLOYER: {Scope.K8S_READ, Scope.K8S_WRITE, Scope.DEPLOY_EXECUTE},
    ADMIN: set(Scope),
}
APPROVER_ROLES = {VIEWER: "viewer", OPERATOR: "operator", DEPLOYER: "deployer", ADMIN: "admin"}
NAMESPACES = ("default", "staging", "production")
CHANNELS = (STAGING_CHANNEL, UNBOUND_CHANNEL)


def expected(user: str, spec: CommandSpec[Any], namespace: str | None, channel: str) -> tuple[Action, str]:
    if channel == STAGING_CHANNEL and namespace not in (None, "staging"):
        return Action.DENY, "channel-namespaces"
    if spec.scope not in SCOPES[user]:
        return Action.DENY, "role-scope"
    if spec.scope in (Scope.ADMIN_READ, Scope.ADMIN_WRITE):
        return Action.ALLOW, "admin-scope"
    if spec.risk is Risk.WRITE and namespace in ("default", "staging"):
        return Action.REQUIRE_APPROVAL, "write-in-staging"
    if spec.risk is Risk.DANGEROUS:
        return Action.REQUIRE_APPROVAL, "dangerous-by-sre"
    if spec.risk is Risk.WRITE and namespace == "production":
        return Action.DENY, "production-no-rule"
    return Action.ALLOW, "write-allowed" if spec.risk is Risk.WRITE else "read-allowed"


def may_approve(rule: str, requester: str, approver: str) -> bool:
    if rule == "write-in-staging":  # operators and admins; the requester too (a write, not production)
        return APPROVER_ROLES[approver] in ("operator", "admin")
    assert rule == "dangerous-by-sre"  # the sre group (the admin here); never the requester
    return approver == ADMIN and approver != requester


GRID = [
    (spec, user, namespace, channel)
    for spec in REGISTRY
    for user in SCOPES
    for namespace in (NAMESPACES if "namespace" in spec.args_model.model_fields else (None,))
    for channel in CHANNELS
]
CASES = [
    pytest.param(*cell, id=f"{cell[0].name}-{APPROVER_ROLES[cell[1]]}-{cell[2]}-{cell[3]}") for cell in GRID
]


@pytest.mark.parametrize(("spec", "user", "namespace", "channel"), CASES)
def test_the_policy_decides_every_command_for_every_role_namespace_and_channel(
    spec: CommandSpec[Any], user: str, namespace: str | None, channel: str
) -> None:
    actor = Actor(id=user, source="slack", channel=channel)

    decision = POLICY.decide(actor, spec, spec.args_model.model_construct(), namespace, None)

    assert (decision.action, decision.rule) == expected(user, spec, namespace, channel), decision.reason
    assert decision.reason
    if decision.needs_approval:
        assert decision.approval is not None and decision.approval.rule == decision.rule
        approvals = {
            approver: POLICY.approval_refusal(
                command=spec.name,
                risk=spec.risk,
                namespace=namespace,
                cluster=None,
                requester=user,
                approver=approver,
            )
            is None
            for approver in (user, VIEWER, OPERATOR, ADMIN)
        }
        assert approvals == {a: may_approve(decision.rule, user, a) for a in approvals}


def test_the_matrix_covers_every_registered_command_and_each_kind_of_decision() -> None:
    assert {spec.name for spec, *_ in GRID} == set(REGISTRY.names())
    rules = {expected(user, spec, namespace, channel)[1] for spec, user, namespace, channel in GRID}
    assert rules >= {
        "channel-namespaces",
        "role-scope",
        "admin-scope",
        "write-in-staging",
        "dangerous-by-sre",
        "production-no-rule",
        "read-allowed",
    }


def test_unknown_users_get_the_default_role_and_nothing_more() -> None:
    stranger = POLICY.person("U0NOBODY")
    assert (stranger.roles, stranger.scopes, stranger.origin) == (
        ("viewer",),
        frozenset({Scope.K8S_READ}),
        "default",
    )


def test_without_a_policy_file_everyone_is_an_admin_and_approvals_follow_the_default_rules() -> None:
    open_policy = RolePolicy(POLICY.settings)
    actor = Actor(id="U0ANY", source="slack")
    restart, rollback = REGISTRY.get("restart"), REGISTRY.get("rollback")
    args = restart.args_model.model_construct()

    staging = open_policy.decide(actor, restart, args, "staging")
    production = open_policy.decide(actor, restart, args, "production")
    dangerous = open_policy.decide(actor, rollback, args, "staging")

    assert (staging.rule, staging.approval and staging.approval.self_approve) == (
        "write-needs-approval",
        True,
    )
    assert (production.rule, production.approval and production.approval.self_approve) == (
        "production-needs-approval",
        False,
    )
    assert (dangerous.rule, dangerous.approval and dangerous.approval.self_approve) == (
        "dangerous-needs-approval",
        False,
    )


def test_a_person_with_a_kubernetes_identity_runs_commands_as_it() -> None:
    decision = POLICY.decide(
        Actor(id="U0JANE", source="slack"),
        REGISTRY.get("status"),
        REGISTRY.get("status").args_model.model_construct(),
        "staging",
    )
    assert decision.identity is not None and (decision.identity.user, decision.identity.groups) == (
        "jane",
        ("dev",),
    )


def test_a_channel_bound_to_a_cluster_refuses_another_cluster() -> None:
    status = REGISTRY.get("status")
    decision = POLICY.decide(
        Actor(id=ADMIN, source="slack", channel=STAGING_CHANNEL),
        status,
        status.args_model.model_construct(),
        "staging",
        "prod-eu",
    )
    assert (decision.action, decision.rule) == (Action.DENY, "channel-cluster")
