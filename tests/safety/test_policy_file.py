"""The policy file is validated at start-up: every mistake is a clear error naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from klepaas.commands.policy_file import load_policy_file, parse_policy
from klepaas.commands.registry import Risk, Scope
from klepaas.errors import ConfigError
from tests.safety.policies import POLICY_YAML, REGISTRY


def test_the_design_example_loads_with_its_roles_users_channels_and_rules(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_YAML, encoding="utf-8")

    policy = load_policy_file(path, REGISTRY.names())

    assert policy.default_role == "viewer"
    assert policy.scopes_of("deployer") == (Scope.K8S_READ, Scope.K8S_WRITE, Scope.DEPLOY_EXECUTE)
    assert policy.users["U0JANE"].kubernetes is not None and policy.users["U0JANE"].kubernetes.user == "jane"
    assert policy.channels["C0STAGING"].namespaces == ["staging"]
    assert [(r.name, r.ttl) for r in policy.approvals] == [
        ("write-in-staging", None),
        ("dangerous-by-sre", 600),
    ]
    assert policy.approvals[1].match.risk == [Risk.DANGEROUS]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("users: {U1: {roles: [opertor]}}", "users.U1.roles[0]: unknown role 'opertor'"),
        ("default_role: boss", "default_role: unknown role 'boss'"),
        ("roles: {admin: [k8s:read]}", "roles: admin is built in and cannot be redefined"),
        ("roles: {x: [k8s:destroy]}", "roles.x[0]: Input should be"),
        ("channels: {C1: {namespaces: []}}", "channels.C1.namespaces: List should have at least 1 item"),
        ("approvals: [{match: {risk: [risky]}}]", "approvals[0].match.risk[0]: Input should be"),
        ("approvals: [{ttl: soon}]", "approvals[0].ttl: 'soon' is not a duration"),
        ("approvals: [{approvers: {roles: [root]}}]", "approvals[0].approvers.roles[0]: unknown role 'root'"),
        ("users: {U1: {role: admin}}", "users.U1.role: unknown field"),
        ("- just a list", "the policy must be a mapping"),
        ("users: {U1: [unclosed", "at line 1"),
    ],
)
def test_a_malformed_policy_is_refused_naming_the_file_and_the_field(document: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(document, "KLEPAAS_POLICY_FILE /etc/klepaas/policy.yaml")

    assert str(caught.value).startswith("KLEPAAS_POLICY_FILE /etc/klepaas/policy.yaml: ")
    assert message in str(caught.value)


def test_a_rule_naming_a_command_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("approvals: [{match: {commands: [restrat]}}]", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"approvals\[0\]\.match\.commands\[0\]: unknown command 'restrat'"):
        load_policy_file(path, REGISTRY.names())


def test_a_missing_policy_file_is_a_config_error_naming_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"KLEPAAS_POLICY_FILE {tmp_path / 'nope.yaml'}: cannot be read"):
        load_policy_file(tmp_path / "nope.yaml")


def test_durations_are_read_in_seconds_minutes_hours_and_days() -> None:
    policy = parse_policy("approvals: [{ttl: 90}, {ttl: 90s}, {ttl: 15m}, {ttl: 2h}, {ttl: 1d}]")

    assert [rule.ttl for rule in policy.approvals] == [90, 90, 900, 7200, 86400]
