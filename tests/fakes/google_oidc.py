"""A local Google OpenID Connect provider on 127.0.0.1:0 (aiohttp).

- The authorize page is the test itself: it reads our redirect and calls `issue_code(...)` with
  what Google's page would bind to the code (client, redirect URI, nonce, PKCE challenge).
- `POST /token` (authorization_code): checks the client secret, the one-time code, the redirect
  URI and the PKCE verifier (S256), and answers an access token and an ID token signed RS256.
- `GET /jwks` publishes the signing key (JWK, with its `kid`); `GET /userinfo` answers the
  access token's subject and e-mail.

`foreign_key` signs ID tokens with a key the JWKS does not hold; `expired` issues them already
expired; `tokens` records every exchange asked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "fake-google-key-1"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    sub: str
    email: str
    email_verified: bool


class FakeGoogle:
    def __init__(self) -> None:
        self.clients: dict[str, str] = {}  # client id -> secret
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.exchanges: list[dict[str, str]] = []
        self.expired = False
        self.foreign_key = False
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> FakeGoogle:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/userinfo", self._userinfo)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.url

    def issue_code(self, asked: dict[str, str], *, sub: str, email: str, email_verified: bool = True) -> str:
        """What Google's page does when the person picks their account: a one-time code bound to
        what the authorize request asked (`asked` is its query)."""
        assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
        assert "openid" in asked["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(
            asked["client_id"],
            asked["redirect_uri"],
            asked["nonce"],
            asked["code_challenge"],
            sub,
            email,
            email_verified,
        )
        return code

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.exchanges.append(form)
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if (
            grant.client_id != form["client_id"]
            or grant.redirect_uri != form.get("redirect_uri")
            or challenge != grant.code_challenge
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time()) - (7200 if self.expired else 0)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "sub": grant.sub,
            "email": grant.email,
            "email_verified": grant.email_verified,
            "nonce": grant.nonce,
            "iat": now,
            "exp": now + 3600,
        }
        key = self._other_key if self.foreign_key else self._key
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
        access = secrets.token_urlsafe(16)
        self.access_tokens[access] = grant
        return web.json_response(
            {"access_token": access, "id_token": id_token, "token_type": "Bearer", "expires_in": 3599}
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return web.json_response({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]})

    async def _userinfo(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        grant = self.access_tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        if grant is None:
            return web.json_response({"error": "invalid_token"}, status=401)
        return web.json_response(
            {"sub": grant.sub, "email": grant.email, "email_verified": grant.email_verified}
        )
