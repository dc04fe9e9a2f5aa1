"""`klepaas run`: tokens checked before anything connects, health and readiness on the side server."""

from __future__ import annotations

import aiohttp
import pytest

from klepaas.bot.http import Readiness, build_http_app, start_side_server
from klepaas.bot.runner import BotRunner, check_tokens
from klepaas.config import HttpSettings, Settings, SlackSettings
from klepaas.errors import ConfigError
from tests.fakes.slack_server import FakeSlack


async def _get(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("bot_token", "app_token", "message"),
    [
        (None, "xapp-1-a", "SLACK_BOT_TOKEN is not set"),
        ("xoxp-user-token", "xapp-1-a", "SLACK_BOT_TOKEN is malformed: it should start with xoxb-"),
        ("xoxb-1-a", None, "SLACK_APP_TOKEN is not set"),
        ("xoxb-1-a", "xoxb-1-a", "SLACK_APP_TOKEN is malformed: it should start with xapp-"),
        ("xoxb-1 a", "xapp-1-a", "SLACK_BOT_TOKEN is malformed"),
    ],
)
def test_a_missing_or_malformed_token_stops_start_up_naming_the_setting(
    bot_token: str | None, app_token: str | None, message: str
) -> None:
    slack = SlackSettings(SLACK_BOT_TOKEN=bot_token, SLACK_APP_TOKEN=app_token)

    with pytest.raises(ConfigError) as raised:
        check_tokens(slack)

    assert raised.value.message.startswith(message)


async def test_a_token_slack_refuses_stops_start_up_naming_the_setting(slack: FakeSlack) -> None:
    settings = Settings(
        slack=SlackSettings(
            SLACK_BOT_TOKEN="xoxb-revoked", SLACK_APP_TOKEN="xapp-1-x", SLACK_API_URL=slack.api_url
        ),
        http=HttpSettings(KLEPAAS_HTTP_PORT=0),
    )
    runner = BotRunner(settings)

    try:
        with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN was refused by Slack"):
            await runner.start()
    finally:
        await runner.stop()

    assert runner.services is None  # nothing else was started


async def test_readiness_is_503_until_its_parts_are_up() -> None:
    readiness = Readiness()
    server = await start_side_server(HttpSettings(KLEPAAS_HTTP_PORT=0), build_http_app(readiness))
    try:
        starting = await _get(f"{server.url}/readyz")

        async def up() -> bool:
            return True

        readiness.slack = up
        half = await _get(f"{server.url}/readyz")
        readiness.database = up
        no_cluster = await _get(f"{server.url}/readyz")
        readiness.cluster = up
        ready = await _get(f"{server.url}/readyz")
        health = await _get(f"{server.url}/healthz")
    finally:
        await server.stop()

    assert starting == (503, {"status": "starting", "slack": False, "database": False, "cluster": False})
    assert half == (503, {"status": "starting", "slack": True, "database": False, "cluster": False})
    assert no_cluster == (503, {"status": "starting", "slack": True, "database": True, "cluster": False})
    assert ready == (200, {"status": "ready", "slack": True, "database": True, "cluster": True})
    assert health == (200, {"status": "ok"})


async def test_the_running_bot_is_ready_and_not_ready_once_its_socket_is_gone(
    slack: FakeSlack, bot: BotRunner
) -> None:
    assert bot.side is not None
    ready = await _get(f"{bot.side.url}/readyz")

    slack.accept_connections = False
    await slack.drop_socket()
    await slack.wait_for(lambda: slack.calls_to("apps.connections.open")[2:], what="a reconnection attempt")
    gone = await _get(f"{bot.side.url}/readyz")

    assert ready == (200, {"status": "ready", "slack": True, "database": True, "cluster": True})
    assert gone[0] == 503 and gone[1]["slack"] is False
