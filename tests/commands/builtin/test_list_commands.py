"""list_*, overview and cost_analysis on the sample apps."""

from __future__ import annotations

import pytest

from klepaas.commands.builtin.cost import GIB_HOUR, HOURS_PER_MONTH, VCPU_HOUR
from klepaas.commands.result import Context, Fields, Table
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.rollout import follow_rollout
from tests.commands.builtin.conftest import Run


def _table(result: object) -> Table:
    return next(b for b in result.blocks if isinstance(b, Table))  # type: ignore[attr-defined]


async def test_listing_one_namespace_has_no_namespace_column(run: Run) -> None:
    result = await run("list_pods", namespace="staging")

    table = _table(result)
    assert table.columns == ["Pod", "Ready", "Status", "Restarts", "Age", "Node"]
    assert len(table.rows) == 4
    assert result.summary == "4 pods in staging"
    assert result.data["count"] == 4 and result.data["truncated"] is False


async def test_listing_all_namespaces_adds_the_namespace_column(run: Run) -> None:
    result = await run("list_deployments", namespace="*")

    table = _table(result)
    assert table.columns[0] == "Namespace"
    assert {(row[0], row[1]) for row in table.rows} == {
        ("default", "nginx"),
        ("kube-system", "coredns"),
        ("staging", "api"),
        ("staging", "web"),
        ("production", "checkout"),
        ("production", "payment"),
    }
    assert result.summary == "6 deployments in all namespaces"


async def test_all_namespaces_in_a_bound_channel_means_the_channels_namespaces(run: Run) -> None:
    result = await run("list_services", namespace="*", allowed=["staging", "production"])

    assert {item["namespace"] for item in result.data["items"]} == {"staging", "production"}
    assert result.data["namespaces"] == ["staging", "production"]


async def test_a_long_list_shows_the_first_rows_and_counts_the_rest(run: Run, clusters: KubeClusters) -> None:
    gw = clusters.get()
    await gw.patch_scale("default", "nginx", 60)
    [s async for s in follow_rollout(gw, "default", "nginx", timeout=20)]

    result = await run("list_pods", namespace="default")

    table = _table(result)
    assert len(table.rows) == 50
    assert table.omitted == 10
    assert result.data["count"] == 60


async def test_unhealthy_pods_are_listed_first(run: Run, clusters: KubeClusters) -> None:
    gw = clusters.get()
    await gw.patch_deployment(
        "staging",
        "web",
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "web", "image": "ghcr.io/klepaas/web:crash"}]}}
            }
        },
    )
    [s async for s in follow_rollout(gw, "staging", "web", timeout=10)]

    result = await run("list_pods", namespace="staging", lang="ko")

    first = _table(result).rows[0]
    assert first[0].startswith("web-") and first[2] in ("CrashLoopBackOff", "Error")
    assert result.status == "warning"
    assert result.summary == "staging: 파드 5개"


async def test_list_ingresses_shows_hosts_and_backends(run: Run) -> None:
    result = await run("list_ingresses", namespace="staging")

    assert result.data["items"] == [
        {
            "namespace": "staging",
            "name": "web",
            "class": "nginx",
            "hosts": ["web.staging.example.com"],
            "tls_hosts": ["web.staging.example.com"],
            "address": result.data["items"][0]["address"],
            "backends": ["/ → web:80"],
        }
    ]


async def test_list_endpoints_counts_ready_addresses(run: Run) -> None:
    result = await run("list_endpoints", namespace="production")

    assert {(e["name"], e["ready"], e["total"]) for e in result.data["items"]} == {
        ("checkout", 3, 3),
        ("payment", 3, 3),
    }


async def test_list_namespaces_is_limited_to_the_channels_namespaces(run: Run) -> None:
    everything = await run("list_namespaces")
    bound = await run("list_namespaces", allowed=["staging"])

    assert {n["name"] for n in everything.data["items"]} >= {
        "default",
        "staging",
        "production",
        "kube-system",
    }
    assert [n["name"] for n in bound.data["items"]] == ["staging"]


async def test_list_apps_gives_health_and_the_best_address(run: Run) -> None:
    result = await run("list_apps", namespace="staging")

    apps = {a["name"]: (a["health"], a["address"]) for a in result.data["items"]}
    assert apps == {
        "api": ("healthy", "http://api.staging.svc.cluster.local:80"),
        "web": ("healthy", "https://web.staging.example.com/"),
    }


async def test_overview_counts_nodes_apps_and_pods_and_names_what_needs_attention(
    run: Run, clusters: KubeClusters
) -> None:
    gw = clusters.get()
    await gw.patch_deployment(
        "production",
        "payment",
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "payment", "image": "ghcr.io/klepaas/payment:missing"}]}
                }
            }
        },
    )
    [s async for s in follow_rollout(gw, "production", "payment", timeout=10)]

    result = await run("overview")

    assert result.data["nodes"]["total"] == 3
    assert result.data["apps"]["total"] == 6
    # the kubelet alternates between the two while it retries; either way the app has failed
    (attention,) = result.data["attention"]
    assert attention["detail"] in ("ErrImagePull", "ImagePullBackOff")
    assert {k: attention[k] for k in ("namespace", "name", "health")} == {
        "namespace": "production",
        "name": "payment",
        "health": "failed",
    }
    assert result.status == "warning"
    assert result.summary.startswith("klepaas-sandbox: 3 nodes, 6 apps (5 healthy)")


async def test_cost_analysis_prices_requested_cpu_and_memory_and_says_it_is_an_estimate(run: Run) -> None:
    result = await run("cost_analysis", namespace="production")

    per_app = (0.25 * VCPU_HOUR + 0.25 * GIB_HOUR) * 3 * HOURS_PER_MONTH  # 3 pods of 250m / 256Mi
    assert result.data["estimate"] is True
    assert [(a["app"], a["pods"]) for a in result.data["apps"]] == [("checkout", 3), ("payment", 3)]
    assert result.data["apps"][0]["monthly"] == pytest.approx(round(per_app, 2))
    assert result.data["monthly"] == pytest.approx(round(2 * per_app, 2))
    assert dict(next(b for b in result.blocks if isinstance(b, Fields)).items)["Estimated monthly cost"] == (
        f"${2 * per_app:,.2f}"
    )
    note = next(b for b in result.blocks if isinstance(b, Context)).text
    assert "Estimate" in note and "aws.amazon.com/fargate/pricing" in note
    assert result.summary == f"production: about ${2 * per_app:,.2f} a month (estimate)"
