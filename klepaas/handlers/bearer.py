"""Bearer tokens on the side server's API routes: no token or an unknown/revoked one is a 401;
a token without the route's scope is a 403."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from klepaas.commands.services import Services
from klepaas.storage.tokens import ApiToken, ApiTokens


def _deny(cls: type[web.HTTPException], error: str) -> web.HTTPException:
    headers = {"WWW-Authenticate": 'Bearer realm="klepaas"'} if cls is web.HTTPUnauthorized else None
    return cls(text=json.dumps({"error": error}), content_type="application/json", headers=headers)


async def authenticate(
    request: web.Request, services: Services, required_scope: str | None = None
) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _deny(web.HTTPUnauthorized, "a bearer token is required (Authorization: Bearer kp_…)")
    token = await asyncio.to_thread(ApiTokens(services.storage.engine).verify, value.strip())
    if token is None:
        raise _deny(web.HTTPUnauthorized, "the token is unknown or revoked")
    if required_scope is not None and required_scope not in token.scopes:
        raise _deny(web.HTTPForbidden, f"the token lacks the scope {required_scope}")
    return token
