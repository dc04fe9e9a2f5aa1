"""The local Slack speaks the protocol the real SDK expects: a bare Bolt app works against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def bare_app(slack: FakeSlack) -> AsyncIterator[tuple[AsyncApp, list[dict[str, Any]]]]:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    app = AsyncApp(client=client)
    seen: list[dict[str, Any]] = []

    @app.command("/klepaas")
    async def _command(ack: Any, command: dict[str, Any], say: Any) -> None:
        await ack()
        seen.append(command)
        await say(text=f"got {command['text']}")

    @app.event("app_mention")
    async def _mention(event: dict[str, Any]) -> None:
        seen.append(event)

    handler = AsyncSocketModeHandler(app, APP_TOKEN, web_client=client)
    await handler.connect_async()
    try:
        yield app, seen
    finally:
        await handler.close_async()


async def test_a_bare_bolt_app_connects_over_a_real_websocket_and_acks_a_slash_command(
    slack: FakeSlack, bare_app: tuple[AsyncApp, list[dict[str, Any]]]
) -> None:
    await slack.wait_connected()

    envelope = await slack.send_slash_command("status api", user="U0ALICE", channel="C0DEV")
    acked = await slack.wait_ack(envelope.envelope_id)
    posted = await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the reply")

    assert acked.ack_latency is not None and acked.ack_latency < 1.0
    assert [m.text for m in posted] == ["got status api"]
    assert slack.calls_to("apps.connections.open")[0].token == APP_TOKEN


async def test_an_event_is_acked_and_reaches_the_listener(
    slack: FakeSlack, bare_app: tuple[AsyncApp, list[dict[str, Any]]]
) -> None:
    _, seen = bare_app
    await slack.wait_connected()

    envelope, ts = await slack.send_mention("hello")
    await slack.wait_ack(envelope.envelope_id)
    await slack.wait_for(lambda: seen, what="the mention")

    assert seen[0]["ts"] == ts and seen[0]["text"].endswith("hello")


async def test_after_a_refresh_request_the_client_reconnects_and_keeps_working(
    slack: FakeSlack, bare_app: tuple[AsyncApp, list[dict[str, Any]]]
) -> None:
    await slack.wait_connected()

    await slack.request_refresh()
    await slack.wait_connected(count=2)
    envelope = await slack.send_slash_command("again", channel="C0DEV")

    await slack.wait_ack(envelope.envelope_id)
    assert slack.connections_opened == 2


async def test_after_the_socket_drops_the_client_reconnects(
    slack: FakeSlack, bare_app: tuple[AsyncApp, list[dict[str, Any]]]
) -> None:
    await slack.wait_connected()

    await slack.drop_socket()
    await slack.wait_connected(count=2, timeout=15)
    envelope = await slack.send_slash_command("after drop", channel="C0DEV")

    await slack.wait_ack(envelope.envelope_id)


async def test_the_web_api_refuses_a_wrong_token(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)

    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()

    assert raised.value.response["error"] == "invalid_auth"


async def test_a_trigger_id_opens_one_view_only(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    trigger = slack.new_trigger_id()
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}

    await client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=trigger, view=view)

    assert raised.value.response["error"] == "invalid_trigger_id"


async def test_a_file_goes_up_in_the_two_step_upload(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)

    await client.files_upload_v2(
        channel="C0DEV", thread_ts="1.2", filename="api.log", content="line\n" * 10, title="api logs"
    )

    [upload] = slack.uploads.values()
    assert (upload.filename, upload.content, upload.title, upload.channel, upload.thread_ts) == (
        "api.log",
        b"line\n" * 10,
        "api logs",
        "C0DEV",
        "1.2",
    )


async def test_a_response_url_records_what_was_posted(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{slack.base}/response/7", json={"text": "hi", "response_type": "ephemeral"})

    assert slack.responses == [{"n": "7", "text": "hi", "response_type": "ephemeral"}]


async def test_waiting_for_something_that_never_happens_fails_with_a_clear_message(slack: FakeSlack) -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0\.05s waiting for nothing"):
        await slack.wait_for(lambda: None, timeout=0.05, what="nothing")
