"""A `klepaas chat` killed with SIGKILL in the middle of a restart: the next start marks its audit
row `interrupted`, runs nothing again, and `klepaas audit export` shows both attempts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND

pytestmark = pytest.mark.sandbox(samples=True)

DEADLINE = 60.0


async def wait_until(probe: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll `probe` until true; fail naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    while not probe():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def environment(kubeconfig: Path, database: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    return {
        **keep,
        "KUBECONFIG": str(kubeconfig),
        "DATABASE_URL": f"sqlite:///{database}",
        "KLEPAAS_REQUIRE_APPROVAL_WRITE": "false",  # a staging restart runs at once: no preview
        "KLEPAAS_LLM_PROVIDERS": "",
    }


async def klepaas(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "klepaas", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), DEADLINE)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_command_killed_mid_rollout_is_marked_interrupted_at_the_next_start_and_not_run_again(
    sandbox: SandboxCluster, kubeconfig_path: Path, tmp_path: Path
) -> None:
    env = environment(kubeconfig_path, tmp_path / "klepaas.db")
    # The restart's PATCH reaches the cluster and hangs there: the process is mid-command.
    hang = sandbox.faults.latency(
        120, path_prefix="/apis/apps/v1/namespaces/staging/deployments/web", verb="patch", times=1
    )
    victim = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "klepaas", "chat", "restart web -n staging", "--user", "U0ALICE", "--yes",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await wait_until(lambda: hang not in sandbox.faults.active, "the restart's PATCH to reach the cluster")

    victim.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(victim.wait(), DEADLINE) == -signal.SIGKILL

    code, _, err = await klepaas(env, tmp_path, "chat", "status web -n staging", "--user", "U0BOB")
    assert code == 0, err
    code, out, err = await klepaas(env, tmp_path, "audit", "export")
    assert code == 0, err

    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["actor"], r["command"], r["outcome"]) for r in rows] == [
        ("U0ALICE", "restart", "interrupted"),
        ("U0BOB", "status", "success"),
    ]
    assert rows[0]["error"] == "the process running it stopped before it finished"
    assert rows[0]["arguments"] == {"name": "web", "namespace": "staging"} and rows[0]["finished_at"]
    deployment = sandbox.store.get(BY_KIND["Deployment"], "staging", "web")
    annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
    assert "kubectl.kubernetes.io/restartedAt" not in annotations  # nothing re-ran the interrupted restart
