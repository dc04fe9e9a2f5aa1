"""status, logs, endpoint, get_deployment, get_service, rollout_history on the sample apps."""

from __future__ import annotations

import json

import pytest

from klepaas.commands.result import Actions, Code, Fields, Table, Text
from klepaas.errors import Forbidden, NotFound, UserError
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.rollout import follow_rollout
from tests.commands.builtin.conftest import Run


async def _break(
    clusters: KubeClusters, image: str = "nginx:1.27-crash", name: str = "nginx", namespace: str = "default"
) -> None:
    """Deploy a bad image and wait until the rollout has failed."""
    gw = clusters.get()
    await gw.patch_deployment(
        namespace, name, {"spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}}
    )
    last = [s async for s in follow_rollout(gw, namespace, name, timeout=10)][-1]
    assert last.failed


def _fields(result: object) -> dict[str, str]:
    for block in result.blocks:  # type: ignore[attr-defined]
        if isinstance(block, Fields):
            return dict(block.items)
    raise AssertionError("no fields block")


def _table(result: object, title: str | None = None) -> Table:
    tables = [b for b in result.blocks if isinstance(b, Table)]  # type: ignore[attr-defined]
    return next(t for t in tables if title is None or t.title == title)


# ---- status ---------------------------------------------------------------------------------


async def test_status_of_a_healthy_app_says_so_with_its_pods(run: Run) -> None:
    result = await run("status", name="nginx", namespace="default")

    assert result.status == "success"
    assert result.summary == "nginx is healthy: 2/2 pods ready"
    assert result.data["health"] == "healthy"
    assert result.data["replicas"] == {"desired": 2, "updated": 2, "ready": 2, "available": 2, "total": 2}
    assert _fields(result)["Images"] == "nginx:1.25"
    pods = _table(result, "Pods")
    assert [row[2] for row in pods.rows] == ["Running", "Running"]
    assert not any(isinstance(b, Actions) for b in result.blocks)


async def test_status_of_a_failing_app_explains_the_crash_and_offers_a_rollback(
    run: Run, clusters: KubeClusters
) -> None:
    await _break(clusters)

    result = await run("status", name="nginx")

    assert result.status == "warning"
    assert result.data["health"] == "failed"
    assert [p["reason"] for p in result.data["problems"]] == ["CrashLoopBackOff"]
    problems = next(b for b in result.blocks if isinstance(b, Text))
    assert "keeps crashing" in problems.text and "`logs nginx --previous`" in problems.text
    assert result.data["events"], "warning events about the crashing pod are shown"
    button = next(b for b in result.blocks if isinstance(b, Actions)).buttons[0]
    assert (button.action_id, json.loads(button.value)) == (
        "rollback",
        {"command": "rollback", "args": {"name": "nginx", "namespace": "default"}},
    )


async def test_status_in_korean_speaks_korean(run: Run) -> None:
    result = await run("status", name="nginx", lang="ko")

    assert result.summary == "nginx 정상: 파드 2개 중 2개 준비됨"
    assert _fields(result)["이미지"] == "nginx:1.25"


async def test_status_of_a_misspelled_app_suggests_the_right_name_in_the_users_language(run: Run) -> None:
    with pytest.raises(NotFound) as english:
        await run("status", name="ngnix")
    with pytest.raises(NotFound) as korean:
        await run("status", name="ngnix", lang="ko")

    assert str(english.value) == 'deployment "ngnix" not found in namespace "default" — did you mean "nginx"?'
    assert str(korean.value) == (
        '"default" 네임스페이스에 앱(디플로이먼트) "ngnix"이(가) 없습니다 — "nginx"을(를) 찾으셨나요?'
    )
    assert korean.value.suggestions == ["nginx"]


async def test_status_of_an_app_in_another_namespace_says_where_it_is(run: Run) -> None:
    with pytest.raises(NotFound) as caught:
        await run("status", name="checkout")

    assert (
        str(caught.value)
        == 'deployment "checkout" not found in namespace "default" — it exists in namespace production'
    )


async def test_status_in_all_namespaces_finds_the_one_namespace_of_the_app(run: Run) -> None:
    result = await run("status", name="checkout", namespace="*")

    assert (result.data["namespace"], result.data["name"]) == ("production", "checkout")
    assert result.summary.startswith("checkout is healthy")


async def test_status_in_all_namespaces_asks_which_when_the_app_is_in_several(run: Run) -> None:
    await run("deploy", name="api", namespace="default", image="nginx:1.27")

    with pytest.raises(UserError) as caught:
        await run("status", name="api", namespace="*", lang="ko")

    assert str(caught.value) == (
        '"api" 앱이 여러 네임스페이스에 있습니다: default, staging. 어느 쪽인가요? — status api -n default'
    )


async def test_status_in_all_namespaces_stays_within_the_channels_namespaces(run: Run) -> None:
    with pytest.raises(NotFound, match='no app \\(deployment\\) named "checkout" in any namespace here'):
        await run("status", name="checkout", namespace="*", allowed=["staging"])


async def test_status_of_every_app_in_all_namespaces_points_to_overview(run: Run) -> None:
    with pytest.raises(UserError) as caught:
        await run("status", namespace="*")

    assert caught.value.hint == "overview"


async def test_status_accepts_a_pod_name(run: Run, clusters: KubeClusters) -> None:
    pod = (await clusters.get().list_pods("default", label_selector="app=nginx")).items[0]

    result = await run("status", name=pod.name)

    assert result.data["kind"] == "pod"
    assert result.summary == f"pod {pod.name} is Running: 1/1 containers ready, 0 restarts"


async def test_status_without_a_name_covers_every_app_of_the_namespace(
    run: Run, clusters: KubeClusters
) -> None:
    await _break(clusters, "ghcr.io/klepaas/web:missing", "web", "staging")

    result = await run("status", namespace="staging")

    assert result.summary == "staging: 2 apps, 1 healthy, 1 with problems"
    assert [(a["name"], a["health"]) for a in result.data["apps"]] == [("web", "failed"), ("api", "healthy")]
    assert _table(result).rows[0][0] == "❌ web"  # problems first


async def test_status_of_a_service(run: Run) -> None:
    result = await run("status", name="api", namespace="staging", kind="service")

    assert result.data["kind"] == "service"
    assert result.summary == "service api (ClusterIP): 2/2 backing pods ready"


async def test_a_namespace_outside_the_channels_binding_is_forbidden(run: Run) -> None:
    with pytest.raises(Forbidden, match='namespace "production" is not available in this channel'):
        await run("status", name="checkout", namespace="production", allowed=["staging"])


async def test_the_channels_namespace_is_the_default(run: Run) -> None:
    result = await run("status", name="api", allowed=["staging"])

    assert result.data["namespace"] == "staging"


# ---- logs -----------------------------------------------------------------------------------


async def test_logs_of_an_app_show_the_last_lines_of_one_of_its_pods(run: Run) -> None:
    result = await run("logs", name="nginx", lines=3)

    code = next(b for b in result.blocks if isinstance(b, Code))
    assert len(code.text.splitlines()) == 3
    assert result.data["lines"] == 3
    assert result.data["container"] == "nginx"
    assert result.data["pod"].startswith("nginx-")
    assert len(result.data["other_pods"]) == 1


async def test_logs_of_a_crashing_app_come_from_the_crashing_pod_with_a_hint(
    run: Run, clusters: KubeClusters
) -> None:
    await _break(clusters)
    crashing = {p.name for p in (await clusters.get().list_pods("default")).items if p.restarts}

    result = await run("logs", name="nginx")
    previous = await run("logs", name="nginx", previous=True)

    assert result.data["pod"] in crashing
    assert any(isinstance(b, Text) and "--previous" in b.text for b in result.blocks)
    assert previous.data["previous"] is True
    assert previous.summary.startswith("last ") and "previous run" in previous.summary


async def test_logs_of_a_pod_by_name(run: Run, clusters: KubeClusters) -> None:
    pod = (await clusters.get().list_pods("staging", label_selector="app=api")).items[0]

    result = await run("logs", name=pod.name, namespace="staging", lines=5)

    assert (result.data["pod"], result.data["app"]) == (pod.name, None)


async def test_logs_of_an_unknown_container_name_the_real_ones(run: Run) -> None:
    with pytest.raises(UserError, match=r'has no container "sidecar" \(containers: nginx\)'):
        await run("logs", name="nginx", container="sidecar")


# ---- endpoint -------------------------------------------------------------------------------


async def test_endpoint_of_an_app_behind_a_tls_ingress_is_its_https_url(run: Run) -> None:
    result = await run("endpoint", name="web", namespace="staging")

    assert result.summary == "web is reachable at https://web.staging.example.com/"
    assert result.data["routes"][0] == {
        "kind": "ingress",
        "url": "https://web.staging.example.com/",
        "service": "web",
        "via": "web",
        "scope": "public",
    }


async def test_endpoint_of_a_load_balanced_app_lists_the_balancer_address(run: Run) -> None:
    result = await run("endpoint", name="checkout", namespace="production")

    kinds = [r["kind"] for r in result.data["routes"]]
    assert kinds[0] == "load-balancer"
    assert "node-port" in kinds and "cluster" in kinds
    assert result.status == "success"


async def test_endpoint_of_an_internal_app_gives_its_cluster_dns_name(run: Run) -> None:
    result = await run("endpoint", name="nginx")

    assert result.summary == (
        "nginx is reachable only inside the cluster, at http://nginx.default.svc.cluster.local:80"
    )
    assert result.status == "info"


# ---- get_deployment / get_service -----------------------------------------------------------


async def test_get_deployment_shows_containers_resources_and_conditions(run: Run) -> None:
    result = await run("get_deployment", name="checkout", namespace="production")

    containers = _table(result, "Containers")
    assert containers.rows == [
        ["checkout", "ghcr.io/klepaas/checkout:3.2.1", "8080/TCP", "250m / 1", "256Mi / 512Mi"]
    ]
    assert {row[0] for row in _table(result, "Conditions").rows} == {"Available", "Progressing"}
    assert result.data["deployment"]["replicas"] == 3
    assert result.summary.startswith("deployment checkout: 3/3 ready, revision 1")


async def test_get_service_shows_ports_and_backing_pods(run: Run) -> None:
    result = await run("get_service", name="api", namespace="staging")

    assert _table(result, "Ports").rows == [["http", "80", "http", "-", "TCP"]]
    assert len(_table(result, "Backing pods").rows) == 2
    assert _fields(result)["Type"] == "ClusterIP"


async def test_get_service_of_a_missing_service_suggests_one(run: Run) -> None:
    with pytest.raises(NotFound, match='did you mean "api"'):
        await run("get_service", name="apii", namespace="staging")


# ---- rollout_history ------------------------------------------------------------------------


async def test_rollout_history_lists_revisions_newest_first_and_marks_the_live_one(
    run: Run, clusters: KubeClusters
) -> None:
    gw = clusters.get()
    await gw.patch_deployment(
        "staging",
        "api",
        {
            "metadata": {"annotations": {"kubernetes.io/change-cause": "bump to 1.5.0"}},
            "spec": {
                "template": {"spec": {"containers": [{"name": "api", "image": "ghcr.io/klepaas/api:1.5.0"}]}}
            },
        },
    )
    [s async for s in follow_rollout(gw, "staging", "api", timeout=10)]

    result = await run("rollout_history", name="api", namespace="staging")

    assert [(r["revision"], r["current"], r["images"]) for r in result.data["revisions"]] == [
        (2, True, ["ghcr.io/klepaas/api:1.5.0"]),
        (1, False, ["ghcr.io/klepaas/api:1.4.2"]),
    ]
    assert result.data["revisions"][0]["change_cause"] == "bump to 1.5.0"
    assert _table(result).rows[0][0] == "2 ←"
    assert result.summary == "api has 2 revisions; revision 2 is live"
