"""OAuth over HTTP against the running side server: the Slack install (state against CSRF,
`oauth.v2.access` on the local Slack, the installation stored encrypted) and GitHub sign-in
(`/api/v1/github/callback` against the local GitHub), with bad, replayed and expired states refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from klepaas.bot.runner import BotRunner
from klepaas.commands.services import build_services
from klepaas.config import GitHubSettings, Settings, SideServerSettings
from klepaas.errors import ConfigError
from klepaas.storage.installations import IdentityLinks, OAuthStates, Sealer, SlackInstallations
from tests.bot.conftest import ScriptedPlanner
from tests.fakes.github_api import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.side.conftest import url

CLIENT_ID, CLIENT_SECRET = "1234.5678", "slack-client-secret"
GH_CLIENT_ID, GH_CLIENT_SECRET = "Iv1.local", "github-client-secret"
KEY = Fernet.generate_key().decode()
INSTALLED = {
    "access_token": "xoxb-new-workspace-token",
    "scope": "chat:write,commands",
    "bot_user_id": "U0NEWBOT",
    "app_id": "A0FAKE",
    "team": {"id": "T0NEW", "name": "New Team"},
    "enterprise": None,
    "authed_user": {"id": "U0INSTALLER"},
}

StartOAuthBot = Callable[..., Awaitable[BotRunner]]


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as server:
        server.oauth_clients[GH_CLIENT_ID] = GH_CLIENT_SECRET
        yield server


@pytest.fixture
async def oauth_bot(settings: Settings, slack: FakeSlack, github: FakeGitHub) -> AsyncIterator[StartOAuthBot]:
    slack.oauth_clients[CLIENT_ID] = CLIENT_SECRET
    runners: list[BotRunner] = []

    async def start(*, encryption_key: str | None = KEY) -> BotRunner:
        configured = settings.model_copy(
            update={
                "side": SideServerSettings(
                    SLACK_CLIENT_ID=CLIENT_ID,
                    SLACK_CLIENT_SECRET=SecretStr(CLIENT_SECRET),
                    SLACK_OAUTH_URL=f"{slack.base}/oauth/v2/authorize",
                    KLEPAAS_ENCRYPTION_KEY=SecretStr(encryption_key) if encryption_key else None,
                ),
                "github": GitHubSettings(
                    GITHUB_API_URL=github.url,
                    GITHUB_WEB_URL=github.url,
                    GITHUB_CLIENT_ID=GH_CLIENT_ID,
                    GITHUB_CLIENT_SECRET=SecretStr(GH_CLIENT_SECRET),
                ),
            }
        )
        services = await build_services(configured, planner=ScriptedPlanner())
        runner = BotRunner(configured, services=services, owns_services=True)
        runners.append(runner)
        connected = slack.hellos_sent
        await runner.start()
        await slack.wait_connected(connected + 1)
        return runner

    try:
        yield start
    finally:
        for runner in runners:
            await runner.stop()


async def _get(http: aiohttp.ClientSession, address: str) -> tuple[int, str, str | None]:
    async with http.get(address, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location")


def _query(location: str | None) -> dict[str, str]:
    assert location is not None
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_a_slack_install_redirects_with_a_state_and_the_redirect_stores_the_workspace_encrypted(
    slack: FakeSlack, oauth_bot: StartOAuthBot, http: aiohttp.ClientSession
) -> None:
    bot = await oauth_bot()

    status, _, location = await _get(http, url(bot, "/slack/install"))
    asked = _query(location)
    code = slack.issue_oauth_code(INSTALLED)
    done = await _get(http, url(bot, f"/slack/oauth_redirect?code={code}&state={asked['state']}"))
    replayed = await _get(http, url(bot, f"/slack/oauth_redirect?code={code}&state={asked['state']}"))

    assert status == 302 and location is not None
    assert location.startswith(f"{slack.base}/oauth/v2/authorize?")
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == url(bot, "/slack/oauth_redirect")
    assert {"commands", "chat:write", "app_mentions:read"} <= set(asked["scope"].split(","))
    assert done[0] == 200 and "installed in workspace T0NEW" in done[1]
    assert [c.args.get("code") for c in slack.calls_to("oauth.v2.access")] == [code]
    assert bot.services is not None
    raw = SlackInstallations(bot.services.storage.engine, Sealer(KEY)).raw("T0NEW")
    assert raw is not None and "xoxb-new-workspace-token" not in raw and "T0NEW" not in raw
    stored = SlackInstallations(bot.services.storage.engine, Sealer(KEY)).find("T0NEW")
    assert stored == {
        "team_id": "T0NEW",
        "enterprise_id": None,
        "bot_token": "xoxb-new-workspace-token",
        "bot_user_id": "U0NEWBOT",
        "app_id": "A0FAKE",
        "scope": "chat:write,commands",
        "installer_user_id": "U0INSTALLER",
    }
    assert replayed[0] == 400 and "invalid or expired state" in replayed[1]


async def test_a_forged_expired_or_other_provider_s_state_is_refused_and_nothing_is_exchanged(
    slack: FakeSlack, oauth_bot: StartOAuthBot, http: aiohttp.ClientSession
) -> None:
    bot = await oauth_bot()
    assert bot.services is not None
    engine = bot.services.storage.engine
    expired = OAuthStates(engine, ttl_seconds=-1).issue("slack")
    github_state = OAuthStates(engine, ttl_seconds=600).issue("github", "U0ALICE")
    code = slack.issue_oauth_code(INSTALLED)

    answers = [
        await _get(http, url(bot, f"/slack/oauth_redirect?code={code}&state={state}"))
        for state in ("forged-state-value", expired, github_state, "")
    ]
    cancelled = await _get(http, url(bot, "/slack/oauth_redirect?error=access_denied&state=x"))

    assert [a[0] for a in answers] == [400, 400, 400, 400]
    assert all("invalid or expired state" in a[1] for a in answers)
    assert cancelled[0] == 400 and "cancelled (access_denied)" in cancelled[1]
    assert slack.calls_to("oauth.v2.access") == []
    assert SlackInstallations(engine, Sealer(KEY)).raw("T0NEW") is None


async def test_a_code_slack_refuses_is_told_and_nothing_is_stored(
    slack: FakeSlack, oauth_bot: StartOAuthBot, http: aiohttp.ClientSession
) -> None:
    bot = await oauth_bot()
    _, _, location = await _get(http, url(bot, "/slack/install"))

    status, text, _ = await _get(
        http, url(bot, f"/slack/oauth_redirect?code=never-issued&state={_query(location)['state']}")
    )

    assert status == 400 and "Slack refused the code (invalid_code)" in text
    assert bot.services is not None
    assert SlackInstallations(bot.services.storage.engine, Sealer(KEY)).raw("T0NEW") is None


async def test_without_an_encryption_key_installs_are_refused_with_the_setting_named_and_nothing_stored(
    slack: FakeSlack, oauth_bot: StartOAuthBot, http: aiohttp.ClientSession
) -> None:
    bot = await oauth_bot(encryption_key=None)
    assert bot.services is not None
    state = OAuthStates(bot.services.storage.engine, ttl_seconds=600).issue("slack")
    code = slack.issue_oauth_code(INSTALLED)

    install = await _get(http, url(bot, "/slack/install"))
    redirect = await _get(http, url(bot, f"/slack/oauth_redirect?code={code}&state={state}"))

    for status, text, location in (install, redirect):
        assert status == 500 and location is None
        assert "KLEPAAS_ENCRYPTION_KEY is not set" in text and "Fernet.generate_key" in text
    assert slack.calls_to("oauth.v2.access") == []
    with pytest.raises(ConfigError, match="KLEPAAS_ENCRYPTION_KEY is not set"):
        Sealer(None)


async def test_github_sign_in_links_the_slack_user_to_the_github_login_once(
    github: FakeGitHub, oauth_bot: StartOAuthBot, http: aiohttp.ClientSession
) -> None:
    bot = await oauth_bot()

    status, _, location = await _get(http, url(bot, "/api/v1/github/link?user=U0ALICE"))
    asked = _query(location)
    code = github.issue_oauth_code("octocat")
    linked = await _get(http, url(bot, f"/api/v1/github/callback?code={code}&state={asked['state']}"))
    again = await _get(http, url(bot, f"/api/v1/github/callback?code={code}&state={asked['state']}"))

    assert status == 302 and location is not None
    assert location.startswith(f"{github.url}/login/oauth/authorize?")
    assert (asked["client_id"], asked["redirect_uri"]) == (GH_CLIENT_ID, url(bot, "/api/v1/github/callback"))
    assert linked[0] == 200 and "Linked Slack user U0ALICE to GitHub octocat" in linked[1]
    assert bot.services is not None
    assert IdentityLinks(bot.services.storage.engine).get("U0ALICE", "github") == "octocat"
    assert again[0] == 400 and "invalid or expired state" in again[1]


async def test_a_github_callback_with_a_bad_state_or_a_refused_code_links_nobody(
    github: FakeGitHub, oauth_bot: StartOAuthBot, http: aiohttp.ClientSession
) -> None:
    bot = await oauth_bot()
    code = github.issue_oauth_code("mallory")
    forged = await _get(http, url(bot, f"/api/v1/github/callback?code={code}&state=forged"))
    _, _, location = await _get(http, url(bot, "/api/v1/github/link?user=U0BOB"))
    refused = await _get(
        http, url(bot, f"/api/v1/github/callback?code=never-issued&state={_query(location)['state']}")
    )

    assert forged[0] == 400 and "invalid or expired state" in forged[1]
    assert refused[0] == 400 and "GitHub refused the code (bad_verification_code)" in refused[1]
    assert bot.services is not None
    links = IdentityLinks(bot.services.storage.engine)
    assert (links.get("U0ALICE", "github"), links.get("U0BOB", "github")) == (None, None)
    assert github.user_tokens == {}
