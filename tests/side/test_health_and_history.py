"""`/readyz` follows the default cluster (sandbox up, failing, stopped) with a cached probe, and
`GET /api/v1/deployments/history` answers the recorded deployments to a token with k8s:read."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from klepaas.bot.http import CachedProbe
from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.storage.policy_store import DeploymentLog
from klepaas.storage.tokens import ApiTokens
from tests.fakes.slack_server import FakeSlack
from tests.side.conftest import url


async def _get(http: aiohttp.ClientSession, address: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(address, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_readyz_is_503_while_the_default_cluster_fails_or_is_gone_and_200_while_it_answers(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    probe = side_bot.readiness.cluster
    assert isinstance(probe, CachedProbe)

    up = await _get(http, url(side_bot, "/readyz"))
    cluster.faults.error(500)
    cached = await _get(http, url(side_bot, "/readyz"))  # within the cache: the API server is spared
    probe.forget()
    failing = await _get(http, url(side_bot, "/readyz"))
    cluster.faults.clear()
    probe.forget()
    back = await _get(http, url(side_bot, "/readyz"))
    await cluster.stop()
    probe.forget()
    gone = await _get(http, url(side_bot, "/readyz"))

    assert up == (200, {"status": "ready", "slack": True, "database": True, "cluster": True})
    assert cached == up
    assert failing == (503, {"status": "starting", "slack": True, "database": True, "cluster": False})
    assert back == up
    assert gone == failing


async def test_a_cached_probe_asks_once_per_period_and_counts_a_failure_or_a_hang_as_down() -> None:
    now = [100.0]
    calls: list[str] = []
    answers: list[Any] = [True, RuntimeError("refused"), "hang"]

    async def probe() -> bool:
        answer = answers[len(calls)]
        calls.append("asked")
        if isinstance(answer, Exception):
            raise answer
        if answer == "hang":
            await asyncio.Event().wait()
        return bool(answer)

    cached = CachedProbe(probe, ttl=5.0, clock=lambda: now[0], timeout=0.2)
    first = [await cached(), await cached(), await cached()]
    now[0] += 5.1
    failed = await cached()
    now[0] += 5.1
    hung = await cached()

    assert first == [True, True, True]
    assert (failed, hung) == (False, False)
    assert len(calls) == 3


async def test_deployment_history_answers_the_newest_records_to_a_reader_and_refuses_others(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    assert side_bot.services is not None
    engine = side_bot.services.storage.engine
    log = DeploymentLog(engine)
    for n, image in enumerate(["api:1", "api:2", "api:3"], start=1):
        log.record(
            app="api",
            namespace="staging",
            cluster="default",
            command="deploy",
            trigger="slack",
            actor_id="U0ALICE",
            outcome="success",
            revision=n,
            image_after=f"ghcr.io/k/{image}",
        )
    tokens = ApiTokens(engine)
    _, reader = tokens.create(name="dash", scopes=["k8s:read"], created_by="U0ADMIN", channel="C0OPS")
    _, writer_only = tokens.create(name="ci", scopes=["k8s:write"], created_by="U0ADMIN", channel="C0OPS")
    address = url(side_bot, "/api/v1/deployments/history")

    status, body = await _get(http, f"{address}?limit=2", reader)
    anonymous = await _get(http, address)
    unscoped = await _get(http, address, writer_only)
    bad_limit = await _get(http, f"{address}?limit=many", reader)

    assert status == 200
    assert [(e["app"], e["revision"], e["image_after"], e["outcome"]) for e in body["history"]] == [
        ("api", 3, "ghcr.io/k/api:3", "success"),
        ("api", 2, "ghcr.io/k/api:2", "success"),
    ]
    assert (anonymous[0], unscoped[0]) == (401, 403)
    assert bad_limit == (400, {"error": "limit must be a number"})
