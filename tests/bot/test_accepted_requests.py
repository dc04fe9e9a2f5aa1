"""Nothing accepted is lost: a burst beyond the running limit is recorded as it is accepted, and a
bot stopped mid-burst tells every requester still waiting that their request did not run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from klepaas.config import Settings
from klepaas.handlers.slack.intake import NOT_RUN
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.storage import AuditEntry, Storage
from tests.bot.conftest import StartBot
from tests.fakes.slack_server import FakeSlack

BURST = 8
LIMIT = 2
USERS = [f"U0BURST{n}" for n in range(BURST)]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"slack": settings.slack.model_copy(update={"max_running": LIMIT})})


def _rows(settings: Settings) -> list[AuditEntry]:
    storage = Storage.open(settings.storage.database_url)
    try:
        return storage.audit.recent(1000)
    finally:
        storage.close()


async def _until(probe: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll the database (nothing signals its writes) until `probe()` holds, or fail."""
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(probe):
            await asyncio.sleep(0.02)
    assert probe(), what


async def test_a_bot_stopped_mid_burst_audits_every_request_and_tells_those_that_never_ran(
    start_bot: StartBot, slack: FakeSlack, cluster: SandboxCluster, settings: Settings
) -> None:
    bot = await start_bot()
    cluster.faults.latency(1.5, path_prefix="/api")  # every cluster call is slow: slots stay taken

    await asyncio.gather(*(slack.send_slash_command("status api -n staging", user=u) for u in USERS))
    await _until(
        lambda: len([r for r in _rows(settings) if r.actor_id in USERS]) == BURST,
        20,
        "every request recorded as it was accepted",
    )
    await bot.stop()

    rows = {r.actor_id: r for r in _rows(settings) if r.actor_id in USERS}
    assert set(rows) == set(USERS)
    assert {r.outcome for r in rows.values()} <= {"success", "interrupted"}
    never_ran = [u for u, r in rows.items() if r.error == NOT_RUN]
    assert len(never_ran) >= BURST - LIMIT - 1  # at most LIMIT ran; under load one may have finished
    for user in never_ran:
        [told] = slack.ephemerals_for(user)
        assert "restarting" in told["text"] and "did not run" in told["text"]
        assert rows[user].outcome == "interrupted" and rows[user].command is None
    for user in set(USERS) - set(never_ran):
        assert not slack.ephemerals_for(user)  # ran (or was cut off while running): not told it did not

    cluster.faults.clear()
    await start_bot()
    posted_before = len(slack.calls_to("chat.postMessage"))
    await slack.send_slash_command("status api -n staging", user="U0LATE")
    await slack.wait_for(
        lambda: len(slack.calls_to("chat.postMessage")) > posted_before, 15, what="the late request's answer"
    )
    after = [r for r in _rows(settings) if r.actor_id in USERS]
    assert {r.actor_id: (r.id, r.outcome) for r in after} == {u: (r.id, r.outcome) for u, r in rows.items()}
    assert len(slack.calls_to("chat.postMessage")) == posted_before + 1  # nothing of the burst ran again
