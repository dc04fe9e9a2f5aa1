"""The client's token hook: run often enough to renew tokens, not before every request, and never
on the event loop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from kubernetes import client as k8s_client
from kubernetes.client import configuration as k8s_configuration

from klepaas.k8s.gateway import KubernetesGateway
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.transport import TOKEN_HOOK_INTERVAL_SECONDS, throttle_token_hook, token_hook_due
from tests.k8s.gateway_helpers import clusters_for, samples_ready


def test_the_token_hook_runs_at_most_once_per_interval_and_again_after_it() -> None:
    cfg = k8s_client.Configuration()
    runs: list[float] = []

    def hook(configuration: k8s_client.Configuration) -> None:
        runs.append(time.monotonic())
        configuration.api_key["BearerToken"] = f"token-{len(runs)}"
        configuration.refresh_api_key_hook = hook  # as kubernetes.config's own hook does, each run

    cfg.refresh_api_key_hook = hook
    throttle_token_hook(cfg)

    first = [cfg.get_api_key_with_prefix("BearerToken") for _ in range(50)]
    time.sleep(TOKEN_HOOK_INTERVAL_SECONDS + 0.05)
    later = cfg.get_api_key_with_prefix("BearerToken")

    assert first == ["token-1"] * 50  # the token the hook last set, without running it again
    assert later == "token-2" and len(runs) == 2
    assert cfg.get_api_key_with_prefix("BearerToken") == "token-2" and len(runs) == 2  # still throttled


def test_a_configuration_without_a_token_hook_is_left_alone() -> None:
    cfg = k8s_client.Configuration()
    throttle_token_hook(cfg)
    assert cfg.refresh_api_key_hook is None


@pytest.mark.sandbox(samples=True)
async def test_a_kubeconfig_token_authenticates_every_request_without_reloading_it_each_time(
    sandbox: SandboxCluster, kubeconfig_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await samples_ready(sandbox)
    reloads: list[int] = []  # the kubeconfig hook re-applies the host, which reads the proxy settings
    real_getproxies = k8s_configuration.getproxies
    monkeypatch.setattr(k8s_configuration, "getproxies", lambda: reloads.append(1) or real_getproxies())
    clusters = clusters_for(kubeconfig_path)
    try:
        gateway = clusters.get()
        assert isinstance(gateway, KubernetesGateway)
        assert gateway._api_client.configuration.refresh_api_key_hook is not None  # a token user
        reloads.clear()
        names = [(await gateway.get_deployment("default", "nginx")).name for _ in range(20)]
    finally:
        clusters.close()
    assert names == ["nginx"] * 20
    assert len(reloads) <= 2  # at most once a second, not once per request


@pytest.mark.sandbox(samples=True)
async def test_a_token_hook_that_is_due_runs_in_a_worker_never_on_the_event_loop(
    sandbox: SandboxCluster, kubeconfig_path: Path
) -> None:
    """The hook may run an exec auth plugin (a command that can take seconds): the loop must not
    wait for it. Between runs, requests are built on the loop with the token it last set."""
    await samples_ready(sandbox)
    clusters = clusters_for(kubeconfig_path)
    ran_on: list[int] = []
    try:
        gateway = clusters.get()
        assert isinstance(gateway, KubernetesGateway)
        cfg = gateway._api_client.configuration
        token = cfg.get_api_key_with_prefix("BearerToken")

        def plugin(configuration: k8s_client.Configuration) -> None:
            ran_on.append(threading.get_ident())
            configuration.api_key["BearerToken"] = token.removeprefix("Bearer ")
            configuration.api_key_prefix["BearerToken"] = "Bearer"

        cfg.refresh_api_key_hook = plugin
        throttle_token_hook(cfg)
        assert token_hook_due(cfg)
        names = [(await gateway.get_deployment("default", "nginx")).name for _ in range(5)]
        assert not token_hook_due(cfg)
    finally:
        await clusters.aclose()
    assert names == ["nginx"] * 5
    assert len(ran_on) == 1 and ran_on[0] != threading.get_ident()
