"""Policy through the real pipeline and the sandbox cluster: identities the cluster's own RBAC
refuses, admin commands (each checked and audited), stale approvals, the deployment history."""

from __future__ import annotations

from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import ApprovalAnswer, Outcome, Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.commands.services import Services
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.safety.policies import ADMIN, JANE, OPERATOR, STAGING_CHANNEL, VIEWER

pytestmark = pytest.mark.sandbox(samples=True)


class Approve:
    """Approves as `approver`; `meanwhile` runs while the approval is pending (someone else acts)."""

    def __init__(self, approver: str, meanwhile: Any = None, approved_state: dict[str, Any] | None = None):
        self.approver = approver
        self.meanwhile = meanwhile
        self.approved_state = approved_state
        self.previews: list[Result | None] = []

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> ApprovalAnswer:
        self.previews.append(preview)
        if self.meanwhile is not None:
            await self.meanwhile()
        return ApprovalAnswer(approved=True, approver=self.approver, approved_state=self.approved_state)


async def ask(
    services: Services, user: str, text: str, approver: Any = None, channel: str | None = None
) -> Outcome:
    actor = Actor(id=user, source="slack", workspace="T0", channel=channel)
    return await services.pipeline().handle(Request(actor=actor, text=text), approver)


def restarted_at(sandbox: SandboxCluster, namespace: str, name: str) -> str | None:
    deployment = sandbox.store.get(BY_KIND["Deployment"], namespace, name)
    return (deployment["spec"]["template"]["metadata"].get("annotations") or {}).get(
        "kubectl.kubernetes.io/restartedAt"
    )


async def test_a_command_runs_as_the_persons_kubernetes_identity_and_the_clusters_rbac_refuses_it(
    services: Services, sandbox: SandboxCluster
) -> None:
    sandbox.auth.bind_role("jane", "view", namespaces=["staging"])

    status = await ask(services, JANE, "status web -n staging")
    restart = await ask(services, JANE, "restart web -n staging", Approve(OPERATOR))
    elsewhere = await ask(services, JANE, "list pods -n production")

    assert status.ok, status.result.summary
    assert status.decision is not None and status.decision.identity is not None
    assert not restart.ok and "forbidden" in restart.result.summary.lower()
    assert 'User "jane" cannot patch resource "deployments"' in restart.result.summary
    assert not elsewhere.ok and 'User "jane" cannot list resource "pods"' in elsewhere.result.summary
    assert restarted_at(sandbox, "staging", "web") is None
    rows = {e.command: e for e in services.storage.audit.recent()}
    assert (rows["restart"].outcome, rows["restart"].rule) == ("failure", "write-in-staging")
    assert rows["list_pods"].outcome == "failure"


async def test_when_the_cluster_grants_the_identity_the_same_request_runs(
    services: Services, sandbox: SandboxCluster
) -> None:
    sandbox.auth.bind_role("jane", "edit", namespaces=["staging"])

    restart = await ask(services, JANE, "restart web -n staging", Approve(OPERATOR))

    assert restart.ok, restart.result.summary
    assert restarted_at(sandbox, "staging", "web") is not None


async def test_admin_commands_are_checked_by_role_and_every_attempt_is_audited(services: Services) -> None:
    refused = await ask(services, OPERATOR, f"grant <@{VIEWER}> operator")
    granted = await ask(services, ADMIN, f"grant <@{VIEWER}> operator")
    who = await ask(services, VIEWER, "whoami")
    audit = await ask(services, ADMIN, "audit 10")

    assert not refused.ok and refused.decision is not None and refused.decision.rule == "role-scope"
    assert "admin:write" in refused.result.summary
    assert granted.ok and granted.result.data["roles"] == ["operator"]
    assert who.result.data["roles"] == ["operator"] and who.result.data["origin"] == "granted"
    commands = [(e["command"], e["outcome"], e["rule"]) for e in audit.result.data["entries"]]
    assert commands[1:] == [
        ("whoami", "success", "read-allowed"),
        ("grant", "success", "admin-scope"),
        ("grant", "refused", "role-scope"),
    ]


async def test_a_channel_bound_at_run_time_limits_its_commands_to_its_namespaces(services: Services) -> None:
    bound = await ask(services, ADMIN, "bind staging,qa", channel="C0NEW")
    outside = await ask(services, OPERATOR, "status checkout -n production", channel="C0NEW")
    default = await ask(services, OPERATOR, "status web", channel="C0NEW")
    policy = await ask(services, ADMIN, "policy")

    assert bound.ok and bound.result.data["namespaces"] == ["staging", "qa"]
    assert outside.decision is not None and outside.decision.rule == "channel-namespaces"
    assert default.ok and default.namespace == "staging"
    assert policy.result.data["channels"]["C0NEW"] == {"cluster": None, "namespaces": ["staging", "qa"]}
    assert policy.result.data["channels"][STAGING_CHANNEL]["namespaces"] == ["staging"]


async def test_an_approval_is_refused_when_the_deployment_changed_since_the_preview(
    services: Services, sandbox: SandboxCluster
) -> None:
    async def someone_deploys() -> None:
        patch = {
            "spec": {
                "template": {"spec": {"containers": [{"name": "web", "image": "ghcr.io/klepaas/web:9.9.9"}]}}
            }
        }
        await services.clusters.get(None).patch_deployment("staging", "web", patch)

    outcome = await ask(
        services, OPERATOR, "restart web -n staging", Approve(ADMIN, meanwhile=someone_deploys)
    )

    assert not outcome.ok and outcome.result.data["error"] == "stale_approval"
    assert "image changed since the preview (ghcr.io/klepaas/web:2.3.0 → ghcr.io/klepaas/web:9.9.9)" in (
        outcome.result.summary
    )
    assert restarted_at(sandbox, "staging", "web") is None
    [row] = [e for e in services.storage.audit.recent() if e.command == "restart"]
    assert (row.outcome, row.approver) == ("refused", ADMIN) and row.error is not None
    assert row.error.startswith("stale approval:")


async def test_an_approval_kept_from_before_a_restart_is_checked_against_its_own_preview(
    services: Services, sandbox: SandboxCluster
) -> None:
    previewed = {"exists": True, "generation": 1, "images": ["ghcr.io/klepaas/web:2.2.0"]}

    outcome = await ask(
        services, OPERATOR, "restart web -n staging", Approve(ADMIN, approved_state=previewed)
    )

    assert outcome.result.data.get("error") == "stale_approval"
    assert restarted_at(sandbox, "staging", "web") is None


async def test_changes_leave_a_deployment_history_that_the_history_command_shows(
    services: Services, sandbox: SandboxCluster
) -> None:
    await ask(services, OPERATOR, "scale web 3 -n staging", Approve(ADMIN))
    await ask(services, OPERATOR, "deploy api ghcr.io/klepaas/api:1.5.0 -n staging", Approve(ADMIN))

    history = await ask(services, VIEWER, "history -n staging")
    api = await ask(services, VIEWER, "history api -n staging")

    entries = [
        (e["app"], e["command"], e["actor"], e["trigger"], e["outcome"])
        for e in history.result.data["entries"]
    ]
    assert entries == [
        ("api", "deploy", OPERATOR, "slack", "success"),
        ("web", "scale", OPERATOR, "slack", "success"),
    ]
    [deploy] = api.result.data["entries"]
    assert (deploy["image_before"], deploy["image_after"]) == (
        "ghcr.io/klepaas/api:1.4.2",
        "ghcr.io/klepaas/api:1.5.0",
    )


async def test_nothing_changes_in_production_without_a_rule_that_allows_it(
    services: Services, sandbox: SandboxCluster
) -> None:
    outcome = await ask(services, ADMIN, "restart checkout -n production", Approve(OPERATOR))

    assert outcome.decision is not None and outcome.decision.rule == "production-no-rule"
    assert restarted_at(sandbox, "production", "checkout") is None
