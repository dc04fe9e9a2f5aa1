"""The pipeline with the real commands, the real kubernetes client and the sandbox cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.commands.services import Services

pytestmark = pytest.mark.sandbox(samples=True)

ME = Actor(id="U-me", source="console")


@dataclass
class Answer:
    yes: bool
    previews: list[str] = field(default_factory=list)

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        self.previews.append(preview.summary if preview else "")
        return self.yes


async def replicas(services: Services, namespace: str, name: str) -> int:
    deployment = await services.clusters.get().get_deployment(namespace, name)
    return deployment.replicas


async def test_a_list_runs_at_once_against_the_cluster(live_services: Services) -> None:
    outcome = await live_services.pipeline().handle(Request(actor=ME, text="list deployments -n staging"))

    assert outcome.ok, outcome.result.summary
    names = sorted(item["name"] for item in outcome.result.data["items"])
    assert names == ["api", "web"]
    (row,) = live_services.storage.audit.recent()
    assert (row.command, row.outcome, row.namespace) == ("list_deployments", "success", "staging")


async def test_an_approved_scale_changes_the_deployment(live_services: Services) -> None:
    approver = Answer(yes=True)
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="scale api 3 -n staging"), approver
    )

    assert outcome.ok, outcome.result.summary
    assert approver.previews == ["api: 2 → 3 pods"]
    assert await replicas(live_services, "staging", "api") == 3
    (row,) = live_services.storage.audit.recent()
    assert (row.command, row.outcome, row.approver, row.rule) == (
        "scale",
        "success",
        "U-me",
        "write-needs-approval",
    )


async def test_a_refused_scale_leaves_the_deployment_alone(live_services: Services) -> None:
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="scale api 5 -n staging"), Answer(False)
    )

    assert outcome.result.status == "info"
    assert await replicas(live_services, "staging", "api") == 2
    assert live_services.storage.audit.recent()[0].outcome == "cancelled"


async def test_a_missing_app_is_reported_by_name_before_anyone_is_asked(live_services: Services) -> None:
    approver = Answer(yes=True)
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="restart ghost -n staging"), approver
    )

    assert outcome.result.status == "error"
    assert "ghost" in outcome.result.summary
    assert approver.previews == []
    assert live_services.storage.audit.recent()[0].outcome == "failure"


async def test_a_restart_can_be_followed_until_its_rollout_completes(live_services: Services) -> None:
    pipeline = live_services.pipeline()
    outcome = await pipeline.handle(Request(actor=ME, text="restart nginx"), Answer(yes=True))

    assert outcome.ok, outcome.result.summary
    assert outcome.rollout is not None
    snapshots = [snapshot async for snapshot in pipeline.follow_rollout(outcome.rollout)]
    assert snapshots[-1].done and (snapshots[-1].name, snapshots[-1].namespace) == ("nginx", "default")
