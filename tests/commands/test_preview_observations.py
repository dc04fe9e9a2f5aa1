"""A change sent on its preview's read: restart and scale, once approved, are sent without reading
the deployment again, with the resourceVersion the preview read as a precondition. If the object
changed while the approver was asked, the server answers Conflict and the run reads it afresh,
so nothing is decided on a stale read. Real client, sandbox cluster."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.commands.services import Services
from klepaas.errors import Conflict
from klepaas.k8s.gateway import KubernetesGateway
from klepaas.k8s.models import RESTARTED_AT_ANNOTATION
from tests.k8s.gateway_helpers import RequestSpy

pytestmark = pytest.mark.sandbox(samples=True)

ME = Actor(id="U-me", source="console")


@dataclass
class ApproveAfter:
    """Approves, after `meanwhile` (someone else's change while the approver is asked)."""

    meanwhile: Callable[[], Awaitable[Any]] | None = None
    answers_at_once: bool = False

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        if self.meanwhile is not None:
            await self.meanwhile()
        return True


def spy_on(services: Services) -> tuple[KubernetesGateway, RequestSpy]:
    gateway = services.clusters.get()
    assert isinstance(gateway, KubernetesGateway)
    return gateway, RequestSpy(gateway)


def writes(spy: RequestSpy) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [r for r in spy.requests if r[0] == "PATCH"]


async def test_an_approved_restart_is_sent_on_the_previews_read(live_services: Services) -> None:
    gateway, spy = spy_on(live_services)

    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="restart web -n staging"), ApproveAfter(answers_at_once=True)
    )

    assert outcome.ok, outcome.result.summary
    reads = [r for r in spy.requests if r[0] == "GET" and r[1].endswith("/deployments/web")]
    assert len(reads) == 1, "the run read the deployment again"
    assert [q.get("dryRun") for _, _, q in writes(spy)] == [["All"], None]
    web = await gateway.get_deployment("staging", "web")
    assert RESTARTED_AT_ANNOTATION in web.template.annotations


async def test_a_restart_changed_meanwhile_is_read_again_and_still_made(live_services: Services) -> None:
    gateway, spy = spy_on(live_services)

    async def someone_else() -> None:
        await gateway.patch_deployment("staging", "web", {"metadata": {"labels": {"touched": "yes"}}})

    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="restart web -n staging"), ApproveAfter(someone_else)
    )

    assert outcome.ok, outcome.result.summary
    web = await gateway.get_deployment("staging", "web")
    assert RESTARTED_AT_ANNOTATION in web.template.annotations
    assert web.meta.labels.get("touched") == "yes"
    # the preview's read, the precondition refused (409), a fresh read, the change
    assert len([r for r in writes(spy) if not r[2].get("dryRun")]) == 3


async def test_a_restart_paused_meanwhile_is_refused_on_the_fresh_read(live_services: Services) -> None:
    gateway = live_services.clusters.get()

    async def someone_pauses() -> None:
        await gateway.patch_deployment("staging", "web", {"spec": {"paused": True}})

    # An approver that answers at once (the console's --yes) has no stale-approval check: the
    # precondition alone keeps the preview's read (not paused) from deciding.
    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="restart web -n staging"), ApproveAfter(someone_pauses, answers_at_once=True)
    )

    assert not outcome.ok
    assert "paused" in outcome.result.summary
    web = await gateway.get_deployment("staging", "web")
    assert RESTARTED_AT_ANNOTATION not in web.template.annotations


async def test_an_approved_scale_is_sent_on_the_previews_read(live_services: Services) -> None:
    gateway, spy = spy_on(live_services)

    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="scale api 3 -n staging"), ApproveAfter(answers_at_once=True)
    )

    assert outcome.ok, outcome.result.summary
    assert outcome.result.data["from"] == 2 and outcome.result.data["to"] == 3
    assert len([r for r in spy.requests if r[0] == "GET" and r[1].endswith("/scale")]) == 1
    assert (await gateway.read_scale("staging", "api")).replicas == 3


async def test_a_scale_changed_meanwhile_says_what_it_changed_from_on_the_fresh_read(
    live_services: Services,
) -> None:
    gateway = live_services.clusters.get()

    async def someone_scales() -> None:
        await gateway.patch_scale("staging", "api", 4)

    outcome = await live_services.pipeline().handle(
        Request(actor=ME, text="scale api 3 -n staging"), ApproveAfter(someone_scales, answers_at_once=True)
    )

    assert outcome.ok, outcome.result.summary
    assert (outcome.result.data["from"], outcome.result.data["to"]) == (4, 3)
    assert (await gateway.read_scale("staging", "api")).replicas == 3


async def test_a_patch_on_a_stale_resource_version_is_a_conflict(live_services: Services) -> None:
    gateway = live_services.clusters.get()
    old = await gateway.read_scale("staging", "api")
    await gateway.patch_scale("staging", "api", 3)

    with pytest.raises(Conflict):
        await gateway.patch_scale("staging", "api", 1, resource_version=old.resource_version)
    with pytest.raises(Conflict):
        await gateway.patch_deployment(
            "staging", "api", {"metadata": {"labels": {"x": "y"}}}, resource_version=old.resource_version
        )
    assert (await gateway.read_scale("staging", "api")).replicas == 3
