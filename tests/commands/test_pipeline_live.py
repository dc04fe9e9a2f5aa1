"""The pipeline with the real commands, the real kubernetes client and the sandbox cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from klepaas.commands.builtin.rollout import REPO_ANNOTATION as REPO
from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request, RolloutTarget
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


async def test_a_korean_description_is_planned_as_the_app_it_names_in_that_namespace(
    live_services: Services,
) -> None:
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="결제 서버 로그 20줄 -n production")
    )

    assert outcome.plan is not None
    assert (outcome.plan.command, outcome.plan.args, outcome.plan.source) == (
        "logs",
        {"name": "payment", "namespace": "production", "lines": 20},
        "rules",
    )
    assert outcome.ok, outcome.result.summary
    assert (outcome.result.data["app"], outcome.result.data["namespace"]) == ("payment", "production")


async def test_a_misspelled_app_is_offered_back_as_a_question_naming_the_real_one(
    live_services: Services,
) -> None:
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="please restart ngnix"), Answer(True)
    )

    assert outcome.clarify is not None
    assert outcome.result.summary == "Did you mean: restart nginx?"
    [row] = live_services.storage.audit.recent()  # the question is recorded; nothing ran
    assert (row.outcome, row.error) == ("refused", "clarify: Did you mean: restart nginx?")


async def test_a_deploy_by_repository_is_followed_on_the_app_that_repository_runs_as(
    live_services: Services,
) -> None:
    gateway = live_services.clusters.get()
    await gateway.patch_deployment("staging", "web", {"metadata": {"annotations": {REPO: "acme/storefront"}}})

    outcome = await live_services.pipeline().handle(
        Request(
            actor=ME,
            command="deploy",
            args={"repo": "acme/storefront", "ref": "v2.4.0", "namespace": "staging"},
        ),
        Answer(yes=True),
    )

    assert outcome.ok, outcome.result.summary
    assert outcome.rollout == RolloutTarget("klepaas-sandbox", "staging", "web")
    assert (await gateway.get_deployment("staging", "web")).images == ["ghcr.io/klepaas/web:v2.4.0"]


async def test_a_deploy_that_changes_nothing_has_no_rollout_to_follow(live_services: Services) -> None:
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="deploy nginx nginx:1.25"), Answer(yes=True)
    )

    assert (outcome.result.status, outcome.rollout) == ("info", None)
