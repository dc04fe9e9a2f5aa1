"""Real Prometheus and Alertmanager (Debian's packages) on loopback ports, and a small exporter.

The binaries are started by the tests, each in a temporary directory, with their configuration
written here; `stack_or_skip()` says why when they are not installed. Ports come from the OS.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PACKAGES = "apt-get install -y prometheus prometheus-alertmanager"


def require(binary: str) -> str:
    path = shutil.which(binary) or (binary if Path(binary).exists() else None)
    if path is None:
        pytest.skip(f"{binary} is not installed ({PACKAGES})")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Exporter:
    """cAdvisor-like series for one pod of `api` in `staging`, and a switch an alert rule watches."""

    alert_active: int = 0
    started: float = field(default_factory=time.time)
    runner: web.AppRunner | None = None
    port: int = 0

    def text(self) -> str:
        elapsed = time.time() - self.started
        labels = 'namespace="staging",pod="api-5d8f7c9b6-x2x9k",container="api"'
        memory = 64 * 2**20 + 8 * 2**20 * math.sin(elapsed / 3)
        return (
            "# TYPE container_cpu_usage_seconds_total counter\n"
            f"container_cpu_usage_seconds_total{{{labels}}} {0.25 * elapsed:.3f}\n"
            "# TYPE container_memory_working_set_bytes gauge\n"
            f"container_memory_working_set_bytes{{{labels}}} {memory:.0f}\n"
            "# TYPE test_alert_active gauge\n"
            f'test_alert_active{{namespace="staging",deployment="api"}} {self.alert_active}\n'
        )

    async def start(self) -> Exporter:
        app = web.Application()

        async def serve(_: web.Request) -> web.Response:
            return web.Response(text=self.text(), content_type="text/plain")

        app.router.add_get("/metrics", serve)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class Process:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _start(name: str, argv: list[str], url: str, workdir: Path) -> Process:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    return Process(name, url, process, log)


def start_prometheus(workdir: Path, targets: dict[str, str], *, alertmanager: str | None = None,
                     rules: str | None = None, port: int | None = None) -> Process:
    binary = require(PROMETHEUS)
    port = port or free_port()
    jobs = "".join(
        f"  - job_name: {job}\n    honor_labels: true\n    static_configs:\n      - targets: ['{target}']\n"
        for job, target in targets.items()
    )
    config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
    if rules:
        (workdir / "rules.yml").write_text(rules)
        config += "rule_files:\n  - rules.yml\n"
    if alertmanager:
        config += "alerting:\n  alertmanagers:\n    - static_configs:\n"
        config += f"        - targets: ['{alertmanager}']\n"
    config += f"scrape_configs:\n{jobs}"
    (workdir / "prometheus.yml").write_text(config)
    argv = [binary, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}"]
    return _start("prometheus", argv, f"http://127.0.0.1:{port}", workdir)


def start_alertmanager(workdir: Path, webhook_url: str) -> Process:
    binary = require(ALERTMANAGER)
    port = free_port()
    config = f"""global:
  resolve_timeout: 5s
route:
  receiver: klepaas
  group_by: [alertname, namespace]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: klepaas
    webhook_configs:
      - url: '{webhook_url}'
        send_resolved: true
"""
    (workdir / "alertmanager.yml").write_text(config)
    argv = [binary, f"--config.file={workdir / 'alertmanager.yml'}", f"--storage.path={workdir / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]
    return _start("alertmanager", argv, f"http://127.0.0.1:{port}", workdir)


async def query(base_url: str, promql: str) -> list[dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
            f"{base_url}/api/v1/query", params={"query": promql}
        ) as response:
            if response.status != 200:
                return []
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError):
        return []
    result: list[dict[str, Any]] = body.get("data", {}).get("result", [])
    return result


async def wait_for_series(process: Process, promql: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Poll the query (not /-/ready: the first scrape lands seconds after start) until it has data."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.process.poll() is not None:
            raise AssertionError(f"{process.name} exited: {process.log.read_text()[-2000:]}")
        found = await query(process.url, promql)
        if found:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"no data for {promql!r} within {timeout}s")


@contextlib.asynccontextmanager
async def exporter() -> AsyncIterator[Exporter]:
    running = await Exporter().start()
    try:
        yield running
    finally:
        await running.stop()
