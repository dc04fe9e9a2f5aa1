"""OAuth on the side server.

- Slack install (OAuth v2): `GET /slack/install` redirects to Slack's authorize page with a
  one-time `state`; `GET /slack/oauth_redirect` checks the state (CSRF), exchanges the code
  (`oauth.v2.access` at SLACK_API_URL) and stores the installation encrypted (Fernet).
- GitHub sign-in: `GET /api/v1/github/link?user=U…` (the link the bot gives a Slack user)
  redirects to GitHub with a state naming that user; `GET /api/v1/github/callback` exchanges the
  code, asks GitHub who it is (`GET /user`) and links the Slack user to that login.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.errors import ConfigError
from klepaas.handlers.side import SideContext
from klepaas.logging import get_logger
from klepaas.storage.installations import IdentityLinks, OAuthStates, Sealer, SlackInstallations

log = get_logger(__name__)

BOT_SCOPES = (
    "app_mentions:read,channels:read,chat:write,chat:write.public,commands,files:write,groups:read,"
    "im:history,im:read,im:write,users:read"
)


def _fail(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json")


def _redirect_uri(request: web.Request, side: SideContext, path: str) -> str:
    base = side.settings.side.public_url or f"{request.scheme}://{request.host}"
    return base.rstrip("/") + path


def _states(side: SideContext) -> OAuthStates:
    services, _ = side.ready()
    return OAuthStates(services.storage.engine, side.settings.side.oauth_state_ttl_seconds)


def _sealer(side: SideContext) -> Sealer:
    """The Fernet sealer for installations; without a usable KLEPAAS_ENCRYPTION_KEY, a 500 that
    says so (nothing is ever stored in the clear)."""
    key = side.settings.side.encryption_key
    try:
        return Sealer(key.get_secret_value() if key is not None else None)
    except ConfigError as exc:
        log.error("Slack installs need an encryption key", error=str(exc))
        raise _fail(web.HTTPInternalServerError, str(exc)) from None


async def slack_install(request: web.Request, side: SideContext) -> web.Response:
    client_id = side.settings.side.slack_client_id
    if not client_id:
        raise _fail(web.HTTPNotFound, "Slack installs are off: SLACK_CLIENT_ID is not set")
    _sealer(side)  # refuse before sending anyone through Slack for an install we could not keep
    state = await asyncio.to_thread(_states(side).issue, "slack")
    query = urlencode(
        {
            "client_id": client_id,
            "scope": BOT_SCOPES,
            "state": state,
            "redirect_uri": _redirect_uri(request, side, "/slack/oauth_redirect"),
        }
    )
    raise web.HTTPFound(f"{side.settings.side.slack_oauth_url}?{query}")


async def slack_redirect(request: web.Request, side: SideContext) -> web.Response:
    services, _ = side.ready()
    settings = side.settings
    code, state = request.query.get("code"), request.query.get("state", "")
    secret = settings.side.slack_client_secret
    if not settings.side.slack_client_id or secret is None:
        raise _fail(web.HTTPNotFound, "Slack installs are off: SLACK_CLIENT_ID/SECRET are not set")
    sealer = _sealer(side)
    if request.query.get("error"):  # the person clicked Cancel on Slack's page
        raise _fail(web.HTTPBadRequest, f"the install was cancelled ({request.query['error'][:64]})")
    if not code or await asyncio.to_thread(_states(side).consume, state, "slack") is None:
        raise _fail(web.HTTPBadRequest, "invalid or expired state; start again from /slack/install")
    client = AsyncWebClient(base_url=settings.slack.api_url.rstrip("/") + "/")
    try:
        answer = await client.oauth_v2_access(
            client_id=settings.side.slack_client_id,
            client_secret=secret.get_secret_value(),
            code=code,
            redirect_uri=_redirect_uri(request, side, "/slack/oauth_redirect"),
        )
    except SlackApiError as exc:
        raise _fail(web.HTTPBadRequest, f"Slack refused the code ({exc.response.get('error')})") from None
    data: dict[str, Any] = dict(answer.data) if isinstance(answer.data, dict) else {}
    team = (data.get("team") or {}).get("id")
    enterprise = (data.get("enterprise") or {}).get("id") if data.get("enterprise") else None
    installation = {
        "team_id": team,
        "enterprise_id": enterprise,
        "bot_token": data.get("access_token"),
        "bot_user_id": data.get("bot_user_id"),
        "app_id": data.get("app_id"),
        "scope": data.get("scope"),
        "installer_user_id": (data.get("authed_user") or {}).get("id"),
    }
    await asyncio.to_thread(
        SlackInstallations(services.storage.engine, sealer).save, team, enterprise, installation
    )
    log.info("installed in a Slack workspace", team=team)
    return web.Response(text=f"K-Le-PaaS is installed in workspace {team}. You can close this page.")


async def github_link(request: web.Request, side: SideContext) -> web.Response:
    github = side.settings.github
    user = request.query.get("user", "")
    if not github.oauth_client_id:
        raise _fail(web.HTTPNotFound, "GitHub sign-in is off: GITHUB_CLIENT_ID is not set")
    if not user:
        raise _fail(web.HTTPBadRequest, "which Slack user? (?user=U…)")
    state = await asyncio.to_thread(_states(side).issue, "github", user)
    query = urlencode(
        {
            "client_id": github.oauth_client_id,
            "state": state,
            "scope": "read:user",
            "redirect_uri": _redirect_uri(request, side, "/api/v1/github/callback"),
        }
    )
    raise web.HTTPFound(f"{github.web_url.rstrip('/')}/login/oauth/authorize?{query}")


async def github_callback(request: web.Request, side: SideContext) -> web.Response:
    services, _ = side.ready()
    github = side.settings.github
    code, state = request.query.get("code"), request.query.get("state", "")
    found = await asyncio.to_thread(_states(side).consume, state, "github") if code else None
    if found is None or not found.subject:
        raise _fail(web.HTTPBadRequest, "invalid or expired state; ask the bot for a new sign-in link")
    if not github.oauth_client_id or github.oauth_client_secret is None:
        raise _fail(web.HTTPNotFound, "GitHub sign-in is off: GITHUB_CLIENT_ID/SECRET are not set")
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(
            f"{github.web_url.rstrip('/')}/login/oauth/access_token",
            data={
                "client_id": github.oauth_client_id,
                "client_secret": github.oauth_client_secret.get_secret_value(),
                "code": code,
            },
            headers={"Accept": "application/json"},
        ) as response:
            grant = await response.json(content_type=None)
        access = grant.get("access_token") if isinstance(grant, dict) else None
        if not access:
            raise _fail(
                web.HTTPBadRequest, f"GitHub refused the code ({(grant or {}).get('error', 'no token')})"
            )
        async with session.get(
            f"{github.api_url.rstrip('/')}/user",
            headers={"Authorization": f"Bearer {access}", "Accept": "application/vnd.github+json"},
        ) as response:
            me = await response.json(content_type=None)
    login = me.get("login") if isinstance(me, dict) else None
    if not isinstance(login, str) or not login:
        raise _fail(web.HTTPBadGateway, "GitHub did not say who you are")
    await asyncio.to_thread(IdentityLinks(services.storage.engine).link, found.subject, "github", login)
    return web.Response(text=f"Linked Slack user {found.subject} to GitHub {login}. You can close this page.")


def register_routes(app: web.Application, side: SideContext) -> None:
    def bind(handler: Any) -> Any:
        async def route(request: web.Request) -> web.StreamResponse:
            return await handler(request, side)

        return route

    app.router.add_get("/slack/install", bind(slack_install))
    app.router.add_get("/slack/oauth_redirect", bind(slack_redirect))
    app.router.add_get("/api/v1/github/link", bind(github_link))
    app.router.add_get("/api/v1/github/callback", bind(github_callback))
