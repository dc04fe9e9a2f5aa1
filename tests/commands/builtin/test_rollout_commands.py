"""restart, scale, rollback, deploy: their dry-run previews change nothing; the real runs do."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from klepaas.commands.result import Fields
from klepaas.errors import Conflict, Forbidden, Invalid, NotFound, UserError
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.models import CHANGE_CAUSE_ANNOTATION, RESTARTED_AT_ANNOTATION
from klepaas.k8s.rollout import follow_rollout
from tests.commands.builtin.conftest import Run


async def _rolled_out(clusters: KubeClusters, name: str, namespace: str = "default") -> None:
    last = [s async for s in follow_rollout(clusters.get(), namespace, name, timeout=10)][-1]
    assert last.done, last.message


async def _deploy_image(
    run: Run, clusters: KubeClusters, name: str, image: str, namespace: str = "default", **extra: object
) -> None:
    await run("deploy", name=name, image=image, namespace=namespace, **extra)
    await _rolled_out(clusters, name, namespace)


# ---- scale ----------------------------------------------------------------------------------


async def test_a_scale_preview_shows_old_and_new_replicas_and_changes_nothing(
    run: Run, clusters: KubeClusters
) -> None:
    preview = await run("scale", name="nginx", replicas=5, preview=True)

    assert preview.status == "info"
    assert preview.summary == "nginx: 2 → 5 pods"
    assert (preview.data["from"], preview.data["to"], preview.data["dry_run"]) == (2, 5, True)
    assert (await clusters.get().read_scale("default", "nginx")).replicas == 2


async def test_scaling_changes_the_replicas_and_names_the_rollout_to_follow(
    run: Run, clusters: KubeClusters
) -> None:
    result = await run("scale", name="api", namespace="staging", replicas=4)

    assert result.summary == "api scaled from 2 to 4 pods"
    assert result.data["rollout"] == {"cluster": "klepaas-sandbox", "namespace": "staging", "name": "api"}
    assert (await clusters.get().read_scale("staging", "api")).replicas == 4
    await _rolled_out(clusters, "api", "staging")


async def test_scaling_to_the_current_count_changes_nothing(run: Run) -> None:
    result = await run("scale", name="nginx", replicas=2, lang="ko")

    assert result.status == "info"
    assert result.summary == "nginx은(는) 이미 파드 2개입니다. 바꿀 것이 없습니다"
    assert result.data["changed"] is False


async def test_scaling_above_the_configured_maximum_is_refused_before_any_request(run: Run) -> None:
    with pytest.raises(Invalid, match="21 pods is more than the allowed 20"):
        await run("scale", name="nginx", replicas=21)


async def test_scaling_a_misspelled_app_suggests_the_name(run: Run) -> None:
    with pytest.raises(NotFound, match='did you mean "nginx"'):
        await run("scale", name="nginxx", replicas=3, preview=True)


async def test_writing_outside_the_channels_namespaces_is_forbidden(run: Run) -> None:
    with pytest.raises(Forbidden):
        await run("scale", name="checkout", namespace="production", replicas=5, allowed=["staging"])


# ---- restart --------------------------------------------------------------------------------


async def test_a_restart_preview_says_how_many_pods_are_replaced_and_changes_nothing(
    run: Run, clusters: KubeClusters
) -> None:
    preview = await run("restart", name="checkout", namespace="production", preview=True)
    after = await clusters.get().get_deployment("production", "checkout")

    assert preview.summary == "restart checkout: its 3 pods will be replaced"
    assert after.revision == 1 and RESTARTED_AT_ANNOTATION not in after.template.annotations


async def test_a_restart_replaces_the_pods_through_a_new_revision(run: Run, clusters: KubeClusters) -> None:
    before = {p.name for p in (await clusters.get().list_pods("default", label_selector="app=nginx")).items}

    result = await run("restart", name="nginx")
    await _rolled_out(clusters, "nginx")

    gw = clusters.get()
    deployment = await gw.get_deployment("default", "nginx")
    after = {p.name for p in (await gw.list_pods("default", label_selector="app=nginx")).items}
    assert result.summary == "restarting nginx: its 2 pods are being replaced"
    assert RESTARTED_AT_ANNOTATION in deployment.template.annotations
    assert deployment.change_cause == "restart via klepaas by jane (console)"
    assert deployment.revision == 2
    assert before.isdisjoint(after)


async def test_a_paused_deployment_is_not_restarted(run: Run, clusters: KubeClusters) -> None:
    await clusters.get().patch_deployment("default", "nginx", {"spec": {"paused": True}})

    with pytest.raises(Conflict, match="paused"):
        await run("restart", name="nginx", preview=True)  # its dry run went out; it says no all the same
    with pytest.raises(Conflict, match="paused"):
        await run("restart", name="nginx")
    assert (await clusters.get().get_deployment("default", "nginx")).revision == 1


async def test_a_restart_preview_of_a_missing_app_is_not_found_with_a_suggestion(run: Run) -> None:
    with pytest.raises(NotFound, match='did you mean "nginx"'):
        await run("restart", name="ngnix", preview=True)


# ---- rollback -------------------------------------------------------------------------------


async def test_rollback_goes_to_the_previous_revision_and_its_preview_names_it(
    run: Run, clusters: KubeClusters
) -> None:
    await _deploy_image(run, clusters, "nginx", "nginx:1.27")

    preview = await run("rollback", name="nginx", preview=True)
    unchanged = await clusters.get().get_deployment("default", "nginx")
    result = await run("rollback", name="nginx")
    await _rolled_out(clusters, "nginx")

    deployment = await clusters.get().get_deployment("default", "nginx")
    assert preview.summary == "roll back nginx: revision 2 → the template of revision 1"
    assert (
        dict(next(b for b in preview.blocks if isinstance(b, Fields)).items)["Images"]
        == "nginx:1.27 → nginx:1.25"
    )
    assert unchanged.images == ["nginx:1.27"]
    assert result.summary == "rolling back nginx from revision 2 to revision 1 (nginx:1.25)"
    assert deployment.images == ["nginx:1.25"]
    assert deployment.revision == 3  # the old template comes back as a new revision
    assert deployment.change_cause == "rollback to revision 1 via klepaas by jane (console)"


async def test_rollback_to_a_named_revision_and_steps_back(run: Run, clusters: KubeClusters) -> None:
    await _deploy_image(run, clusters, "nginx", "nginx:1.26")
    await _deploy_image(run, clusters, "nginx", "nginx:1.27")

    two_back = await run("rollback", name="nginx", steps_back=2, preview=True)
    named = await run("rollback", name="nginx", revision=2)

    assert (two_back.data["to_revision"], two_back.data["to_images"]) == (1, ["nginx:1.25"])
    assert (named.data["from_revision"], named.data["to_revision"], named.data["to_images"]) == (
        3,
        2,
        ["nginx:1.26"],
    )


async def test_rollback_to_a_commit_finds_the_revision_deployed_from_it(
    run: Run, clusters: KubeClusters
) -> None:
    await _deploy_image(run, clusters, "api", "ghcr.io/klepaas/api:1.5.0", "staging")

    result = await run("rollback", name="api", namespace="staging", commit="3f9c2a1", preview=True)

    assert (result.data["to_revision"], result.data["to_images"]) == (1, ["ghcr.io/klepaas/api:1.4.2"])


async def test_rollback_with_no_earlier_revision_says_so(run: Run) -> None:
    with pytest.raises(UserError, match="nginx has only 0 earlier revisions; cannot go back 1"):
        await run("rollback", name="nginx")


async def test_rollback_to_the_live_revision_or_a_missing_one_is_refused(run: Run) -> None:
    with pytest.raises(UserError, match="already runs revision 1"):
        await run("rollback", name="nginx", revision=1)
    with pytest.raises(NotFound, match="nginx has no revision 7 — revisions: 1"):
        await run("rollback", name="nginx", revision=7)


async def test_rollback_takes_one_target_only() -> None:
    from klepaas.commands.builtin.rollout import RollbackArgs

    with pytest.raises(ValidationError, match="give only one of revision, steps_back, commit"):
        RollbackArgs(name="nginx", revision=2, steps_back=1)


# ---- deploy ---------------------------------------------------------------------------------


async def test_a_deploy_preview_shows_the_image_change_and_changes_nothing(
    run: Run, clusters: KubeClusters
) -> None:
    preview = await run(
        "deploy",
        name="checkout",
        namespace="production",
        image="ghcr.io/klepaas/checkout:3.3.0",
        preview=True,
    )

    assert (
        preview.summary == "checkout: image ghcr.io/klepaas/checkout:3.2.1 → ghcr.io/klepaas/checkout:3.3.0"
    )
    assert (await clusters.get().get_deployment("production", "checkout")).images == [
        "ghcr.io/klepaas/checkout:3.2.1"
    ]


async def test_deploying_an_image_updates_the_app_and_records_why(run: Run, clusters: KubeClusters) -> None:
    result = await run("deploy", name="nginx", image="nginx:1.27")
    await _rolled_out(clusters, "nginx")

    deployment = await clusters.get().get_deployment("default", "nginx")
    assert result.summary == "deploying nginx:1.27 to nginx (was nginx:1.25)"
    assert result.data["rollout"] == {"cluster": "klepaas-sandbox", "namespace": "default", "name": "nginx"}
    assert deployment.images == ["nginx:1.27"]
    assert (
        deployment.meta.annotations[CHANGE_CAUSE_ANNOTATION]
        == "deploy nginx:1.27 via klepaas by jane (console)"
    )


async def test_deploying_a_repo_ref_retags_the_apps_image_and_records_the_commit(
    run: Run, clusters: KubeClusters
) -> None:
    sha = "b" * 40

    result = await run("deploy", repo="klepaas/api", ref=sha, namespace="staging")
    await _rolled_out(clusters, "api", "staging")
    rollback = await run("rollback", name="api", namespace="staging", commit="3f9c2a1", preview=True)

    deployment = await clusters.get().get_deployment("staging", "api")
    assert result.data["name"] == "api"  # from the repository name
    assert deployment.images == [f"ghcr.io/klepaas/api:{sha}"]
    assert deployment.template.annotations["klepaas.io/commit"] == sha
    assert rollback.data["to_revision"] == 1  # the old commit is still found by its revision


async def test_deploying_the_running_image_changes_nothing(run: Run) -> None:
    result = await run("deploy", name="nginx", image="nginx:1.25")

    assert result.status == "info"
    assert result.data["changed"] is False
    assert result.summary == "nginx already runs nginx:1.25"


async def test_deploying_a_new_app_creates_it_and_its_service(run: Run, clusters: KubeClusters) -> None:
    preview = await run(
        "deploy", name="hello", image="nginx:1.27", port=8080, namespace="staging", preview=True
    )
    with pytest.raises(NotFound):
        await clusters.get().get_deployment("staging", "hello")

    result = await run("deploy", name="hello", image="nginx:1.27", port=8080, namespace="staging")
    await _rolled_out(clusters, "hello", "staging")

    service = await clusters.get().get_service("staging", "hello")
    assert preview.summary == (
        "creates a new app hello running nginx:1.27 (1 pod) and a service on port 8080"
    )
    assert result.summary == "created hello running nginx:1.27"
    assert result.data["created"] == ["deployment", "service"]
    assert [(p.port, p.target_port) for p in service.ports] == [(8080, "8080")]
    endpoint = await run("endpoint", name="hello", namespace="staging")
    assert endpoint.data["services"] == ["hello"]


async def test_a_new_app_from_a_ref_alone_needs_an_image(run: Run) -> None:
    with pytest.raises(UserError, match="does not exist yet; give an image"):
        await run("deploy", repo="acme/brand-new", ref="v1.0.0")


async def test_deploy_arguments_need_an_image_or_a_ref() -> None:
    from klepaas.commands.builtin.rollout import DeployArgs

    with pytest.raises(ValidationError, match="give an image"):
        DeployArgs(name="nginx")
    with pytest.raises(ValidationError, match="either an image or a ref"):
        DeployArgs(name="nginx", image="nginx:1", ref="v1", repo="a/b")
