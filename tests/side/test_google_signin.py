"""Google sign-in against a local OpenID Connect provider: state + PKCE + nonce on the way out,
the code exchanged with the PKCE verifier, the RS256 ID token verified against the provider's
JWKS, and the Slack user linked to the verified e-mail; forged, expired, reused states and bad ID
tokens link nobody."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from klepaas.bot.runner import BotRunner
from klepaas.commands.services import build_services
from klepaas.config import Settings, SideServerSettings
from klepaas.storage.installations import IdentityLinks, OAuthStates
from tests.bot.conftest import ScriptedPlanner
from tests.fakes.google_oidc import FakeGoogle
from tests.fakes.slack_server import FakeSlack
from tests.side.conftest import url

CLIENT_ID, CLIENT_SECRET = "klepaas.apps.googleusercontent.com", "google-client-secret"


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogle]:
    async with FakeGoogle() as server:
        server.clients[CLIENT_ID] = CLIENT_SECRET
        yield server


@pytest.fixture
async def google_bot(settings: Settings, slack: FakeSlack, google: FakeGoogle) -> AsyncIterator[BotRunner]:
    configured = settings.model_copy(
        update={
            "side": SideServerSettings(
                GOOGLE_CLIENT_ID=CLIENT_ID,
                GOOGLE_CLIENT_SECRET=SecretStr(CLIENT_SECRET),
                GOOGLE_OAUTH_URL=f"{google.url}/authorize",
                GOOGLE_TOKEN_URL=f"{google.url}/token",
                GOOGLE_JWKS_URL=f"{google.url}/jwks",
                GOOGLE_USERINFO_URL=f"{google.url}/userinfo",
                GOOGLE_ISSUER=google.issuer,
            )
        }
    )
    services = await build_services(configured, planner=ScriptedPlanner())
    runner = BotRunner(configured, services=services, owns_services=True)
    connected = slack.hellos_sent
    try:
        await runner.start()
        await slack.wait_connected(connected + 1)
        yield runner
    finally:
        await runner.stop()


async def _get(http: aiohttp.ClientSession, address: str) -> tuple[int, str, str | None]:
    async with http.get(address, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location")


def _query(location: str | None) -> dict[str, str]:
    assert location is not None
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _callback(http: aiohttp.ClientSession, runner: BotRunner, code: str, state: str) -> tuple[int, str]:
    status, text, _ = await _get(http, url(runner, f"/auth/google/callback?code={code}&state={state}"))
    return status, text


def _links(runner: BotRunner) -> IdentityLinks:
    assert runner.services is not None
    return IdentityLinks(runner.services.storage.engine)


async def test_google_sign_in_links_the_slack_user_to_the_verified_google_account_once(
    google: FakeGoogle, google_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    status, _, location = await _get(http, url(google_bot, "/auth/google/start?user=U0ALICE"))
    asked = _query(location)
    code = google.issue_code(asked, sub="1077", email="alice@example.com")
    linked = await _callback(http, google_bot, code, asked["state"])
    replayed = await _callback(http, google_bot, code, asked["state"])

    assert status == 302 and location is not None and location.startswith(f"{google.url}/authorize?")
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == url(google_bot, "/auth/google/callback")
    assert (asked["response_type"], asked["scope"], asked["code_challenge_method"]) == (
        "code",
        "openid email",
        "S256",
    )
    assert asked["nonce"] and asked["state"] and asked["nonce"] != asked["state"]
    [exchange] = google.exchanges
    verifier = exchange["code_verifier"].encode()
    assert (
        base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        == (asked["code_challenge"])
    )
    assert linked[0] == 200 and "Linked Slack user U0ALICE to Google alice@example.com" in linked[1]
    assert _links(google_bot).get("U0ALICE", "google") == "alice@example.com"
    assert replayed[0] == 400 and "invalid or expired state" in replayed[1]
    assert len(google.exchanges) == 1  # the replay never reached Google


async def test_a_forged_expired_or_other_provider_s_state_is_refused_before_any_exchange(
    google: FakeGoogle, google_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    assert google_bot.services is not None
    engine = google_bot.services.storage.engine
    expired = OAuthStates(engine, ttl_seconds=-1).issue("google", "U0MALLORY")
    github_state = OAuthStates(engine, ttl_seconds=600).issue("github", "U0MALLORY")
    _, _, location = await _get(http, url(google_bot, "/auth/google/start?user=U0BOB"))
    code = google.issue_code(_query(location), sub="666", email="mallory@example.com")

    answers = [
        await _get(http, url(google_bot, f"/auth/google/callback?code={code}&state={state}"))
        for state in ("forged-state", expired, github_state, "")
    ]
    cancelled = await _get(http, url(google_bot, "/auth/google/callback?error=access_denied&state=x"))
    no_user = await _get(http, url(google_bot, "/auth/google/start"))

    assert no_user[0] == 400 and "which Slack user?" in no_user[1]
    assert [a[0] for a in answers] == [400, 400, 400, 400]
    assert all("invalid or expired state" in a[1] for a in answers)
    assert cancelled[0] == 400 and "cancelled (access_denied)" in cancelled[1]
    assert google.exchanges == []
    links = _links(google_bot)
    assert (links.get("U0MALLORY", "google"), links.get("U0BOB", "google")) == (None, None)


@pytest.mark.parametrize("flaw", ["foreign_key", "expired"])
async def test_an_id_token_with_a_bad_signature_or_past_its_expiry_links_nobody(
    flaw: str, google: FakeGoogle, google_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    setattr(google, flaw, True)
    _, _, location = await _get(http, url(google_bot, "/auth/google/start?user=U0ALICE"))
    asked = _query(location)
    code = google.issue_code(asked, sub="1077", email="alice@example.com")

    status, text = await _callback(http, google_bot, code, asked["state"])

    expected = {"foreign_key": "InvalidSignatureError", "expired": "ExpiredSignatureError"}[flaw]
    assert (status, f"the ID token is not valid ({expected})" in text) == (400, True)
    assert _links(google_bot).get("U0ALICE", "google") is None


async def test_an_unverified_e_mail_or_a_code_google_refuses_links_nobody(
    google: FakeGoogle, google_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    _, _, first = await _get(http, url(google_bot, "/auth/google/start?user=U0ALICE"))
    asked = _query(first)
    code = google.issue_code(asked, sub="1077", email="alice@example.com", email_verified=False)
    unverified = await _callback(http, google_bot, code, asked["state"])
    _, _, second = await _get(http, url(google_bot, "/auth/google/start?user=U0ALICE"))
    refused = await _get(
        http, url(google_bot, f"/auth/google/callback?code=never-issued&state={_query(second)['state']}")
    )

    assert unverified[0] == 400 and "did not vouch for an e-mail address" in unverified[1]
    assert refused[0] == 400 and "Google refused the code (invalid_grant)" in refused[1]
    assert _links(google_bot).get("U0ALICE", "google") is None


async def test_google_sign_in_is_off_without_a_client_id(
    settings: Settings, slack: FakeSlack, http: aiohttp.ClientSession
) -> None:
    services = await build_services(settings, planner=ScriptedPlanner())
    plain = BotRunner(settings, services=services, owns_services=True)
    try:
        connected = slack.hellos_sent
        await plain.start()
        await slack.wait_connected(connected + 1)
        off = await _get(http, url(plain, "/auth/google/start?user=U0ALICE"))
    finally:
        await plain.stop()

    assert off[0] == 404 and "GOOGLE_CLIENT_ID/SECRET are not set" in off[1]
