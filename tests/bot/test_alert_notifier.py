"""Noise control of alert messages, against the local Slack and a migrated SQLite database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.config import AlertSettings
from klepaas.handlers.alerts.alertmanager import parse_webhook
from klepaas.handlers.alerts.notifier import AlertNotifier
from klepaas.handlers.slack.replies import Replier
from klepaas.metrics import Metrics, use_metrics
from klepaas.storage import Storage
from klepaas.storage.alerts import AlertMessages
from tests.fakes.slack_server import BOT_TOKEN, FakeSlack

NOON = 1_700_000_000.0 - (1_700_000_000 % 86400) + 12 * 3600  # 12:00 UTC


def webhook(status: str = "firing", *alerts: tuple[str, str], severity: str = "warning") -> dict[str, object]:
    return {
        "version": "4", "groupKey": '{}:{alertname="HighLatency"}', "status": status, "receiver": "klepaas",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "namespace": "staging", "severity": severity},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": s, "labels": {"alertname": "HighLatency", "namespace": "staging",
                                           "severity": severity, "pod": pod},
                    "annotations": {"summary": f"{pod} is slow"}, "startsAt": "2025-01-01T00:00:00Z"}
                   for pod, s in (alerts or (("api-1", "firing"),))],
    }


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path) -> AlertMessages:
    storage = Storage.open(f"sqlite:///{tmp_path / 'alerts.db'}")
    return AlertMessages(storage.engine)


def notifier(slack: FakeSlack, repo: AlertMessages, clock: list[float], **settings: object) -> AlertNotifier:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url.rstrip("/") + "/")
    values = {"KLEPAAS_ALERT_CHANNEL": "C0ALERTS", "KLEPAAS_ALERT_THROTTLE": 0, **settings}
    config = AlertSettings.model_validate(values)
    return AlertNotifier(Replier(client), repo, config, lambda ns, cluster: None, clock=lambda: clock[0])


async def test_the_same_notification_twice_is_one_message_and_a_restart_edits_it_rather_than_posting_again(
    slack: FakeSlack, repo: AlertMessages
) -> None:
    recorded = use_metrics(Metrics())
    clock = [NOON]
    first = notifier(slack, repo, clock)

    assert await first.publish(parse_webhook(webhook())) == "posted"
    assert await first.publish(parse_webhook(webhook())) == "unchanged"
    restarted = notifier(slack, repo, clock)  # a new process over the same database
    both = webhook("firing", ("api-1", "firing"), ("api-2", "firing"))
    outcome = await restarted.publish(parse_webhook(both))

    assert outcome == "updated"
    [message] = slack.channel_messages("C0ALERTS")
    assert "api-2 is slow" in str(message.current["blocks"])
    assert recorded.value("klepaas_alerts_total", {"source": "alertmanager", "action": "unchanged"}) == 1


async def test_a_burst_inside_the_throttle_window_becomes_one_edit_with_the_newest_state(
    slack: FakeSlack, repo: AlertMessages
) -> None:
    clock = [NOON]
    alerts = notifier(slack, repo, clock, KLEPAAS_ALERT_THROTTLE=0.3)
    await alerts.publish(parse_webhook(webhook()))
    clock[0] += 0.1
    assert await alerts.publish(parse_webhook(webhook("firing", ("api-1", "firing"), ("api-2", "firing")))) \
        == "throttled"
    assert await alerts.publish(parse_webhook(webhook("resolved", ("api-1", "resolved")))) == "throttled"
    clock[0] += 1.0  # the window is over when the flush runs

    [message] = slack.channel_messages("C0ALERTS")
    await asyncio.wait_for(slack.wait_for(lambda: message.updates), 5)
    await alerts.close()

    assert len(message.updates) == 1 and "Resolved" in message.updates[0]["text"]


async def test_quiet_hours_hold_back_a_new_warning_but_a_critical_alert_still_posts(
    slack: FakeSlack, repo: AlertMessages
) -> None:
    clock = [NOON]
    alerts = notifier(slack, repo, clock, KLEPAAS_ALERT_QUIET_HOURS="C0ALERTS=11-13")

    assert await alerts.publish(parse_webhook(webhook())) == "quiet"
    critical = webhook(severity="critical")
    critical["groupKey"] = "critical-group"
    assert await alerts.publish(parse_webhook(critical)) == "posted"
    assert len(slack.channel_messages("C0ALERTS")) == 1


def test_a_webhook_that_is_not_version_4_is_refused_with_the_reason() -> None:
    from klepaas.errors import UserError

    with pytest.raises(UserError, match='expected "4"'):
        parse_webhook({**webhook(), "version": "3"})
