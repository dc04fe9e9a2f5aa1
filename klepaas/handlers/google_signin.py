"""Google sign-in (OpenID Connect, authorization code with PKCE and a nonce) links a Slack user to
a Google account, as GitHub sign-in does to a GitHub login (used by policy and audit).

- `GET /auth/google/start?user=U…` redirects to Google (GOOGLE_OAUTH_URL) with a one-time `state`
  naming that user, a PKCE `code_challenge` (S256) and a `nonce`.
- `GET /auth/google/callback` consumes the state (forged, expired or reused: refused before any
  exchange), exchanges the code at GOOGLE_TOKEN_URL with the PKCE verifier, verifies the ID token
  (RS256 against Google's JWKS, audience, issuer, expiry, our nonce), checks that the userinfo
  endpoint names the same subject, and links the verified e-mail address.

The PKCE verifier and the nonce are not stored: both are HMAC-SHA256 of the (stored, one-time)
state under GOOGLE_CLIENT_SECRET, so only this server can derive them and the state table needs
no secret columns.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt
from aiohttp import web

from klepaas.handlers.side import SideContext
from klepaas.logging import get_logger
from klepaas.storage.installations import IdentityLinks, OAuthStates

log = get_logger(__name__)

PROVIDER = "google"
CALLBACK_PATH = "/auth/google/callback"


def _fail(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pkce_verifier(secret: str, state: str) -> str:
    return _b64(hmac.new(secret.encode(), f"pkce:{state}".encode(), hashlib.sha256).digest())


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


def nonce_for(secret: str, state: str) -> str:
    return _b64(hmac.new(secret.encode(), f"nonce:{state}".encode(), hashlib.sha256).digest())


def _client(side: SideContext) -> tuple[str, str]:
    config = side.settings.side
    if not config.google_client_id or config.google_client_secret is None:
        raise _fail(web.HTTPNotFound, "Google sign-in is off: GOOGLE_CLIENT_ID/SECRET are not set")
    return config.google_client_id, config.google_client_secret.get_secret_value()


def _redirect_uri(request: web.Request, side: SideContext) -> str:
    base = side.settings.side.public_url or f"{request.scheme}://{request.host}"
    return base.rstrip("/") + CALLBACK_PATH


def _states(side: SideContext) -> OAuthStates:
    services, _ = side.ready()
    return OAuthStates(services.storage.engine, side.settings.side.oauth_state_ttl_seconds)


async def google_start(request: web.Request, side: SideContext) -> web.Response:
    client_id, secret = _client(side)
    user = request.query.get("user", "")
    if not user or len(user) > 128:
        raise _fail(web.HTTPBadRequest, "which Slack user? (?user=U…)")
    state = await asyncio.to_thread(_states(side).issue, PROVIDER, user)
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid email",
            "redirect_uri": _redirect_uri(request, side),
            "state": state,
            "nonce": nonce_for(secret, state),
            "code_challenge": pkce_challenge(pkce_verifier(secret, state)),
            "code_challenge_method": "S256",
        }
    )
    raise web.HTTPFound(f"{side.settings.side.google_oauth_url}?{query}")


async def google_callback(request: web.Request, side: SideContext) -> web.Response:
    services, _ = side.ready()
    client_id, secret = _client(side)
    config = side.settings.side
    if request.query.get("error"):  # the person clicked Cancel on Google's page
        raise _fail(web.HTTPBadRequest, f"the sign-in was cancelled ({request.query['error'][:64]})")
    code, state = request.query.get("code"), request.query.get("state", "")
    found = await asyncio.to_thread(_states(side).consume, state, PROVIDER) if code else None
    if found is None or not found.subject:
        raise _fail(web.HTTPBadRequest, "invalid or expired state; ask the bot for a new sign-in link")
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(
            config.google_token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uri": _redirect_uri(request, side),
                "code_verifier": pkce_verifier(secret, state),
            },
            headers={"Accept": "application/json"},
        ) as response:
            grant = await response.json(content_type=None)
        if not isinstance(grant, dict) or not grant.get("id_token") or not grant.get("access_token"):
            error = grant.get("error", "no token") if isinstance(grant, dict) else "no token"
            raise _fail(web.HTTPBadRequest, f"Google refused the code ({str(error)[:64]})")
        async with session.get(config.google_jwks_url) as response:
            jwks = await response.json(content_type=None)
        claims = _verified_claims(str(grant["id_token"]), jwks, client_id, config.google_issuers)
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce_for(secret, state)):
            raise _fail(web.HTTPBadRequest, "the ID token was not issued for this sign-in (nonce)")
        async with session.get(
            config.google_userinfo_url, headers={"Authorization": f"Bearer {grant['access_token']}"}
        ) as response:
            info = await response.json(content_type=None) if response.status == 200 else {}
    if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
        raise _fail(web.HTTPBadGateway, "Google's userinfo does not match the ID token")
    email = claims.get("email")
    if not isinstance(email, str) or not email or claims.get("email_verified") is not True:
        raise _fail(web.HTTPBadRequest, "Google did not vouch for an e-mail address on this account")
    await asyncio.to_thread(IdentityLinks(services.storage.engine).link, found.subject, PROVIDER, email)
    log.info("linked a Slack user to a Google account", user=found.subject)
    return web.Response(text=f"Linked Slack user {found.subject} to Google {email}. You can close this page.")


def _verified_claims(id_token: str, jwks: Any, audience: str, issuers: str) -> dict[str, Any]:
    """The ID token's claims once its RS256 signature (by a key in `jwks`), audience, issuer and
    expiry check out; else a 400 saying which."""
    try:
        keys = jwt.PyJWKSet.from_dict(jwks if isinstance(jwks, dict) else {})
        kid = jwt.get_unverified_header(id_token).get("kid")
        key = next((k for k in keys.keys if k.key_id == kid), None)
        if key is None:
            raise jwt.InvalidSignatureError(f"no key {kid!r} in the provider's JWKS")
        return dict(
            jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=audience,
                issuer=[i.strip() for i in issuers.split(",") if i.strip()],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        )
    except (jwt.PyJWTError, jwt.PyJWKSetError) as exc:
        raise _fail(web.HTTPBadRequest, f"the ID token is not valid ({type(exc).__name__})") from None


def register_routes(app: web.Application, side: SideContext) -> None:
    async def start(request: web.Request) -> web.Response:
        return await google_start(request, side)

    async def callback(request: web.Request) -> web.Response:
        return await google_callback(request, side)

    app.router.add_get("/auth/google/start", start)
    app.router.add_get(CALLBACK_PATH, callback)
