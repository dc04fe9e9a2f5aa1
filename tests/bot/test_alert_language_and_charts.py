"""Alert messages speak the channel's language when one is set (else English), and chart PNGs are
removed once uploaded to Slack — or once the post fails — against the local Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.commands.monitoring.charts import render_chart
from klepaas.commands.monitoring.prometheus import Series
from klepaas.commands.result import Image, Result
from klepaas.config import AlertSettings
from klepaas.handlers.alerts.model import AlertItem, AlertView, Target
from klepaas.handlers.alerts.notifier import AlertNotifier
from klepaas.handlers.slack.replies import Replier, Where
from klepaas.storage import Storage
from klepaas.storage.alerts import AlertMessages
from tests.fakes.slack_server import BOT_TOKEN, FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


def _replier(slack: FakeSlack) -> Replier:
    return Replier(AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url.rstrip("/") + "/"))


def _view(key: str) -> AlertView:
    return AlertView(key=key, source="watcher", status="firing", title="api in staging: CrashLoopBackOff",
                     severity="warning", namespace="staging",
                     items=[AlertItem(name="api-1", status="firing", summary="CrashLoopBackOff")],
                     target=Target(cluster=None, namespace="staging", app="api"))


def _buttons(blocks: list[dict[str, object]]) -> list[str]:
    [actions] = [b for b in blocks if b["type"] == "actions"]
    return [e["text"]["text"] for e in actions["elements"]]  # type: ignore[index]


async def test_an_alert_speaks_its_channel_s_language_and_english_where_none_is_set(
    slack: FakeSlack, tmp_path: Path
) -> None:
    repo = AlertMessages(Storage.open(f"sqlite:///{tmp_path / 'alerts.db'}").engine)
    settings = AlertSettings.model_validate({
        "KLEPAAS_ALERT_SEVERITY_CHANNELS": "warning=C0KO,critical=C0EN", "KLEPAAS_ALERT_THROTTLE": 0,
        "KLEPAAS_ALERT_LANGUAGES": "C0KO=ko"})
    notifier = AlertNotifier(_replier(slack), repo, settings, lambda ns, cluster: None)

    await notifier.publish(_view("watch:k1"))
    critical = _view("watch:k2")
    critical.severity = "critical"
    await notifier.publish(critical)

    [korean] = slack.channel_messages("C0KO")
    [english] = slack.channel_messages("C0EN")
    assert korean.text.startswith("발생 중: ") and english.text.startswith("Firing: ")
    assert _buttons(korean.blocks) == ["재시작", "롤백", "로그", "1시간 알림 끄기"]
    assert _buttons(english.blocks) == ["Restart", "Rollback", "Logs", "Silence 1h"]


def test_the_alert_language_setting_takes_one_for_all_or_per_channel_and_refuses_other_languages() -> None:
    one = AlertSettings.model_validate({"KLEPAAS_ALERT_LANGUAGES": "ko"})
    mixed = AlertSettings.model_validate({"KLEPAAS_ALERT_LANGUAGES": "*=ko, C0OPS=en"})

    assert [one.language_for("C0ANY"), mixed.language_for("C0OPS"), mixed.language_for("C0ANY"),
            AlertSettings().language_for("C0ANY")] == ["ko", "en", "ko", "en"]
    with pytest.raises(ValidationError, match="a language is en or ko"):
        AlertSettings.model_validate({"KLEPAAS_ALERT_LANGUAGES": "C0OPS=fr"})


def _chart(directory: Path) -> Result:
    points = [(1_700_000_000.0 + 60 * i, float(i)) for i in range(10)]
    series = [Series(labels={"pod": "api-1"}, points=points)]
    path = render_chart(series, title="cpu", directory=directory)
    return Result(command="metrics", summary="cpu", blocks=[Image(path=str(path), title="cpu")])


async def test_a_chart_png_is_removed_once_uploaded_and_also_when_the_post_fails(
    slack: FakeSlack, tmp_path: Path
) -> None:
    uploaded = _chart(tmp_path)
    path = Path(uploaded.blocks[0].path)  # type: ignore[union-attr]
    png = path.read_bytes()
    slack.closed_channels.add("C0CLOSED")
    failed = _chart(tmp_path)

    await _replier(slack).result(Where(channel="C0OPS", user="U0ALICE"), uploaded)
    with pytest.raises(SlackApiError):
        await _replier(slack).result(Where(channel="C0CLOSED", user="U0ALICE"), failed)

    [upload] = slack.uploads.values()
    assert (upload.channel, upload.content) == ("C0OPS", png)
    assert list(tmp_path.glob("*.png")) == []
