"""`klepaas sandbox`: the local sandbox cluster in the foreground, with a kubectl hint once it answers."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

from rich.console import Console

from klepaas.k8s.sandbox.cluster import run_sandbox

# How long to wait for the kubeconfig to appear before saying the sandbox did not start.
_READY_DEADLINE_SECONDS = 30.0
_READY_CHECK_INTERVAL = 0.05


async def serve_sandbox(port: int, kubeconfig: Path, *, samples: bool, console: Console) -> None:
    before = _mtime(kubeconfig)
    server = asyncio.create_task(run_sandbox(port, kubeconfig, samples=samples), name="sandbox")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_DEADLINE_SECONDS
    # run_sandbox writes the kubeconfig once the API answers; watch for that (or for it failing).
    while _mtime(kubeconfig) == before and not server.done() and loop.time() < deadline:
        await asyncio.sleep(_READY_CHECK_INTERVAL)
    if server.done():
        await server  # raises what went wrong
        return
    quoted = shlex.quote(str(kubeconfig))
    console.print(f"Sandbox cluster running. kubeconfig: {kubeconfig}", highlight=False)
    console.print(f"  kubectl --kubeconfig {quoted} get pods -A", highlight=False)
    console.print(f'  KUBECONFIG={quoted} klepaas chat "status nginx"', highlight=False)
    console.print("Ctrl-C to stop.", style="dim")
    try:
        await server
    finally:
        server.cancel()


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
