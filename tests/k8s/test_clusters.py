"""Several clusters by kubeconfig context; in-cluster configuration; unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from klepaas.config import KubeSettings
from klepaas.errors import ConfigError, UserError
from klepaas.k8s import clusters as clusters_module
from klepaas.k8s.clusters import IN_CLUSTER, KubeClusters
from klepaas.k8s.sandbox.cluster import SandboxCluster


def _two_context_kubeconfig(sandbox: SandboxCluster, path: Path) -> Path:
    """One kubeconfig with the sandbox under two context names: staging-cluster (current) and prod."""
    config = sandbox.kubeconfig("staging-cluster")
    config["contexts"].append(
        {
            "name": "prod",
            "context": {
                "cluster": "staging-cluster",
                "user": config["users"][0]["name"],
                "namespace": "production",
            },
        }
    )
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(autouse=True)
def no_home_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clusters_module, "DEFAULT_KUBECONFIG", tmp_path / "home" / ".kube" / "config")


async def test_every_context_of_the_kubeconfig_is_a_cluster(sandbox: SandboxCluster, tmp_path: Path) -> None:
    clusters = KubeClusters(KubeSettings(kubeconfig=_two_context_kubeconfig(sandbox, tmp_path / "kc")))
    try:
        names = clusters.names()
        default = clusters.get()
        prod = clusters.get("prod")
        listed = await prod.list_namespaces()
    finally:
        clusters.close()

    assert names == ["staging-cluster", "prod"]
    assert (default.cluster, prod.cluster) == ("staging-cluster", "prod")
    assert default is not prod
    assert "default" in [n.name for n in listed.items]


async def test_the_same_cluster_name_gives_the_same_gateway(sandbox: SandboxCluster, tmp_path: Path) -> None:
    clusters = KubeClusters(KubeSettings(kubeconfig=_two_context_kubeconfig(sandbox, tmp_path / "kc")))
    try:
        assert clusters.get("prod") is clusters.get("prod")
        assert clusters.get(None) is clusters.get("staging-cluster")
    finally:
        clusters.close()


async def test_the_configured_context_overrides_the_kubeconfigs_current_one(
    sandbox: SandboxCluster, tmp_path: Path
) -> None:
    settings = KubeSettings(kubeconfig=_two_context_kubeconfig(sandbox, tmp_path / "kc"), context="prod")
    clusters = KubeClusters(settings)
    try:
        assert clusters.default == "prod"
        assert clusters.get().cluster == "prod"
    finally:
        clusters.close()


async def test_an_unknown_cluster_is_a_user_error_listing_the_known_ones(
    sandbox: SandboxCluster, tmp_path: Path
) -> None:
    clusters = KubeClusters(KubeSettings(kubeconfig=_two_context_kubeconfig(sandbox, tmp_path / "kc")))
    try:
        with pytest.raises(UserError) as caught:
            clusters.get("production")
    finally:
        clusters.close()

    assert str(caught.value) == 'unknown cluster "production" — known clusters: staging-cluster, prod'


def test_without_a_kubeconfig_inside_a_pod_the_service_account_is_the_one_cluster(tmp_path: Path) -> None:
    clusters = KubeClusters(KubeSettings(kubeconfig=None, service_host="10.96.0.1"))

    assert clusters.names() == [IN_CLUSTER]
    assert clusters.default == IN_CLUSTER
    # This test does not run in a pod: no mounted token, so building the client says why.
    with pytest.raises(ConfigError, match="in-cluster service account"):
        clusters.get()


def test_without_any_configuration_the_error_says_what_to_set() -> None:
    clusters = KubeClusters(KubeSettings(kubeconfig=None, service_host=None))

    with pytest.raises(ConfigError, match="no Kubernetes configuration found — set KUBECONFIG"):
        clusters.names()


def test_a_kubeconfig_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        KubeClusters(KubeSettings(kubeconfig=missing)).get()


def test_clusters_built_from_ready_gateways_serve_them_by_name() -> None:
    class Stub:
        cluster = "a"

        def close(self) -> None:
            pass

    stub = Stub()
    clusters = KubeClusters.from_gateways({"a": stub})  # type: ignore[dict-item]

    assert clusters.get() is stub
    assert clusters.names() == ["a"]


def test_closing_twice_is_harmless_and_a_closed_set_refuses_new_gateways(
    sandbox: SandboxCluster, tmp_path: Path
) -> None:
    clusters = KubeClusters(KubeSettings(kubeconfig=sandbox.write_kubeconfig(tmp_path / "kc")))
    clusters.get()
    clusters.close()
    clusters.close()

    with pytest.raises(ConfigError):
        clusters.get()
