"""Real Prometheus and Alertmanager (Debian packages) against the running bot and the local Slack."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from klepaas.config import AlertSettings, IntegrationSettings, Settings
from tests.bot.conftest import StartBot
from tests.fakes.prometheus_stack import (
    ALERTMANAGER,
    PROMETHEUS,
    Exporter,
    exporter,
    free_port,
    require,
    start_alertmanager,
    start_prometheus,
    wait_for_series,
)
from tests.fakes.slack_server import FakeSlack

ALERT_CHANNEL = "C0ALERTS"
RULES = """groups:
  - name: test
    rules:
      - alert: ApiDown
        expr: test_alert_active == 1
        labels: {severity: critical}
        annotations: {summary: "api is down"}
"""


@pytest.fixture
def prometheus_port() -> int:
    require(PROMETHEUS)
    return free_port()


@pytest.fixture
def settings(settings: Settings, prometheus_port: int) -> Settings:
    return settings.model_copy(update={
        "integrations": IntegrationSettings(PROMETHEUS_BASE_URL=f"http://127.0.0.1:{prometheus_port}"),
        "alerts": AlertSettings(KLEPAAS_ALERT_CHANNEL=ALERT_CHANNEL, KLEPAAS_ALERT_THROTTLE=0),
    })


@pytest.fixture
async def metrics_exporter() -> AsyncIterator[Exporter]:
    async with exporter() as running:
        yield running


def _text(message: dict[str, Any]) -> str:
    parts = [message["text"]]
    for block in message["blocks"]:
        parts.append(str(block.get("text", {}).get("text", "")))
        parts.extend(str(field["text"]) for field in block.get("fields", []))
        parts.extend(str(element.get("text", "")) for element in block.get("elements", []))
    return "\n".join(parts)


async def test_metrics_answers_with_a_chart_from_real_promql_scraped_from_our_exporter_and_our_own_metrics(
    start_bot: StartBot, slack: FakeSlack, metrics_exporter: Exporter, prometheus_port: int, tmp_path: Path
) -> None:
    bot = await start_bot()
    assert bot.side is not None
    prometheus = start_prometheus(
        tmp_path,
        {"klepaas": f"127.0.0.1:{bot.side.port}", "exporter": f"127.0.0.1:{metrics_exporter.port}"},
        port=prometheus_port,
    )
    try:
        ours = await wait_for_series(prometheus, 'klepaas_http_requests_total{route="/metrics"}')
        assert ours[0]["metric"]["job"] == "klepaas"
        await wait_for_series(prometheus, "container_memory_working_set_bytes")

        await slack.send_slash_command("metrics api memory -n staging --since 5m", channel="C0DEV")
        [reply] = await slack.wait_for(lambda: slack.channel_messages("C0DEV"), timeout=20, what="the answer")
        upload = await slack.wait_for(
            lambda: next((u for u in slack.uploads.values() if u.content and u.thread_ts), None),
            timeout=20, what="the chart upload",
        )
    finally:
        prometheus.stop()

    text = _text(reply.current)
    assert "api Memory (staging, 5m)" in text
    assert "MiB" in text  # the current value, in its unit
    assert "Trend (5m)" in text
    assert upload.content is not None and upload.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (upload.channel, upload.thread_ts) == ("C0DEV", reply.ts)
    assert upload.filename.endswith(".png")


async def test_metrics_says_clearly_when_prometheus_is_not_running(
    start_bot: StartBot, slack: FakeSlack
) -> None:
    await start_bot()  # PROMETHEUS_BASE_URL points at a port nothing listens on

    await slack.send_slash_command("metrics api cpu -n staging", user="U0ALICE", channel="C0DEV")
    [error] = await slack.wait_for(lambda: slack.ephemerals_for("U0ALICE"), timeout=20, what="the error")

    assert "cannot be reached" in error["text"]
    assert not slack.uploads


async def test_an_alertmanager_alert_is_one_grouped_slack_message_updated_when_it_resolves(
    start_bot: StartBot, slack: FakeSlack, metrics_exporter: Exporter, prometheus_port: int, tmp_path: Path
) -> None:
    require(ALERTMANAGER)
    bot = await start_bot()
    assert bot.side is not None
    metrics_exporter.alert_active = 1
    alertmanager = start_alertmanager(tmp_path, f"{bot.side.url}/api/v1/alerts")
    prometheus = start_prometheus(
        tmp_path, {"exporter": f"127.0.0.1:{metrics_exporter.port}"},
        alertmanager=alertmanager.url.removeprefix("http://"), rules=RULES, port=prometheus_port,
    )
    try:
        started = time.monotonic()
        [message] = await slack.wait_for(
            lambda: slack.channel_messages(ALERT_CHANNEL), timeout=40, what="the alert message"
        )
        assert "Firing" in message.text and "ApiDown" in message.text
        assert "api is down" in _text(message.current)
        assert [b["action_id"] for b in message.current["blocks"][-1]["elements"]] == [
            "alert_restart", "alert_rollback", "alert_logs", "alert_silence",
        ]

        metrics_exporter.alert_active = 0
        await slack.wait_for(
            lambda: message.updates and "Resolved" in message.updates[-1]["text"],
            timeout=40, what="the message edited to resolved",
        )
        assert time.monotonic() - started < 50
    finally:
        prometheus.stop()
        alertmanager.stop()

    assert len(slack.channel_messages(ALERT_CHANNEL)) == 1  # one group, one message
    assert "actions" not in [b["type"] for b in message.current["blocks"]]  # no buttons once resolved
