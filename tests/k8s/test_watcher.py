"""The cluster watcher against the sandbox: problems reported once, streams resumed without replay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.watcher import ClusterWatcher, Problem
from tests.k8s.gateway_helpers import clusters_for, samples_ready, wait_for


def _image(container: str, image: str) -> dict[str, object]:
    return {"spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}}


CRASH = _image("api", "ghcr.io/klepaas/api:crash")
PULL_FAIL = _image("web", "ghcr.io/klepaas/web:missing")


@pytest.fixture
async def clusters(sandbox: SandboxCluster, tmp_path: Path) -> AsyncIterator[KubeClusters]:
    await samples_ready(sandbox)
    clusters = clusters_for(sandbox.write_kubeconfig(tmp_path / "kubeconfig"))
    try:
        yield clusters
    finally:
        clusters.close()


@contextlib.asynccontextmanager
async def running(watcher: ClusterWatcher) -> AsyncIterator[None]:
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.synced.wait(), 10)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.sandbox(samples=True)
async def test_a_crash_loop_and_a_failed_pull_are_each_reported_once_however_often_the_pod_restarts(
    sandbox: SandboxCluster, clusters: KubeClusters
) -> None:
    reports: list[tuple[str, str, bool]] = []

    async def on_change(problem: Problem, active: bool) -> None:
        reports.append((problem.app, problem.reason, active))

    gateway = clusters.get(None)
    watcher = ClusterWatcher(gateway, on_change, crash_restarts=2)
    async with running(watcher):
        assert reports == []  # the healthy samples raise nothing
        await gateway.patch_deployment("staging", "api", CRASH)
        await gateway.patch_deployment("staging", "web", PULL_FAIL)
        await wait_for(lambda: {("api", "CrashLoopBackOff", True), ("web", "ImagePullBackOff", True)}
                       <= set(reports), 15, what="both problems")
        await wait_for(lambda: any(p.restarts >= 5 for p in watcher.active.values()), 15, what="restarts")

    assert sorted(reports) == [("api", "CrashLoopBackOff", True), ("web", "ImagePullBackOff", True)]


@pytest.mark.sandbox(samples=True)
async def test_a_dropped_watch_resumes_without_replaying_old_problems_and_still_sees_new_ones(
    sandbox: SandboxCluster, clusters: KubeClusters
) -> None:
    reports: list[tuple[str, str, bool]] = []

    async def on_change(problem: Problem, active: bool) -> None:
        reports.append((problem.app, problem.reason, active))

    gateway = clusters.get(None)
    watcher = ClusterWatcher(gateway, on_change, crash_restarts=1)
    async with running(watcher):
        await gateway.patch_deployment("staging", "api", CRASH)
        await wait_for(lambda: ("api", "CrashLoopBackOff", True) in reports, 15, what="the crash")
        events_before = watcher.events
        sandbox.faults.drop_open_watches()
        await gateway.patch_deployment("staging", "web", PULL_FAIL)
        await wait_for(lambda: ("web", "ImagePullBackOff", True) in reports, 15, what="the pull failure")

    assert reports.count(("api", "CrashLoopBackOff", True)) == 1
    assert watcher.relists == 0 and watcher.events > events_before


def _annotated(n: int) -> dict[str, object]:
    return {"metadata": {"annotations": {"klepaas.test/revision": str(n)}}}


@pytest.mark.sandbox(samples=True, history_size=30)
async def test_a_watch_too_old_to_resume_lists_again_and_an_ongoing_problem_is_still_reported_once(
    sandbox: SandboxCluster, clusters: KubeClusters
) -> None:
    reports: list[tuple[str, str, bool]] = []

    async def on_change(problem: Problem, active: bool) -> None:
        reports.append((problem.app, problem.reason, active))

    gateway = clusters.get(None)
    watcher = ClusterWatcher(gateway, on_change, crash_restarts=1)
    async with running(watcher):
        await gateway.patch_deployment("staging", "api", CRASH)
        await wait_for(lambda: ("api", "CrashLoopBackOff", True) in reports, 15, what="the crash")
        relists_before = watcher.relists
        # The watcher's streams are cut and every new one ends before its first event (slowly, so
        # its retries do not spin), while more changes than the server's history holds go by.
        sandbox.faults.latency(0.1, verb="watch")
        sandbox.faults.drop_watches(after_events=0, verb="watch")
        sandbox.faults.drop_open_watches()
        for n in range(40):
            await gateway.patch_deployment("staging", "web", _annotated(n))
        await wait_for(lambda: watcher.relists > relists_before, 15, what="a list after 410 Gone")
        sandbox.faults.clear()
        await gateway.patch_deployment("staging", "web", PULL_FAIL)
        await wait_for(lambda: ("web", "ImagePullBackOff", True) in reports, 15, what="a new problem")

    assert reports.count(("api", "CrashLoopBackOff", True)) == 1
    assert ("api", "CrashLoopBackOff", False) not in reports  # the relist did not lose it either
    assert ("Pod", "staging") in {(key[0], key[1]) for key in watcher.active}
