"""The sandbox API server's HTTP application: routes, authentication, authorization, faults, errors.

    app = create_app(ServerState(store, auth, faults, pod_log))

Every error leaves as a Kubernetes `Status` object with the real reason and code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from klepaas.k8s.sandbox.accessreview import review
from klepaas.k8s.sandbox.auth import Attributes, UserInfo, forbidden_path
from klepaas.k8s.sandbox.discovery import VERSION_INFO, discovery_response
from klepaas.k8s.sandbox.handlers import Handlers, ServerState
from klepaas.k8s.sandbox.openapi import document_for
from klepaas.k8s.sandbox.requestinfo import RequestInfo, not_found_path, parse_request
from klepaas.k8s.sandbox.store import StoreError
from klepaas.k8s.sandbox.wire import json_response, read_body, read_object, status_response
from klepaas.logging import get_logger

log = get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
STATE_KEY: web.AppKey[ServerState] = web.AppKey("sandbox_state", ServerState)
INFO_KEY: web.RequestKey[RequestInfo] = web.RequestKey("sandbox_request_info", RequestInfo)
USER_KEY: web.RequestKey[UserInfo] = web.RequestKey("sandbox_user", UserInfo)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except StoreError as error:
        return status_response(error)
    except web.HTTPException as exc:
        if exc.status == 404:
            return status_response(not_found_path())
        if exc.status == 405:
            return status_response(StoreError(405, "MethodNotAllowed", "the server does not allow this "
                                              "method on the requested resource"))
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:  # the one top-level handler: the client gets a 500 Status, we get the trace
        log.exception("sandbox_api_error", method=request.method, path=request.path)
        return status_response(StoreError(500, "InternalError", f"Internal error occurred: {exc}"))


@web.middleware
async def gate_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Classify the request, apply injected faults, authenticate and impersonate."""
    state = request.app[STATE_KEY]
    info = parse_request(request.method, request.path, request.query.get("watch"))
    request[INFO_KEY] = info
    if not request.path.startswith("/_sandbox/"):
        delay, error, headers = state.faults.before_request(info)
        if delay:
            await asyncio.sleep(delay)
        if error is not None:
            return status_response(error, headers)
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    user = state.auth.authenticate(request.headers.get("Authorization"))
    request[USER_KEY] = state.auth.impersonate(user, request.headers,
                                             request.headers.getall("Impersonate-Group", []))
    return await handler(request)


def _attributes(info: RequestInfo) -> Attributes:
    rt = info.rt
    assert rt is not None
    namespace = info.namespace or ""
    if rt.kind == "Namespace" and info.name:
        namespace = info.name  # as the API server does: a namespace is inside itself for RBAC
    return Attributes(info.verb, rt.plural, rt.group, info.subresource or "", namespace, info.name or "")


async def api_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    info = request[INFO_KEY]
    user = request[USER_KEY]
    if not info.is_resource:
        if request.method != "GET":
            raise StoreError(405, "MethodNotAllowed",
                             "the server does not allow this method on the requested resource")
        response = discovery_response(request.path, request.headers.get("Accept"), request.host)
        if response is None:
            raise not_found_path()
        return response
    state.auth.authorize(user, _attributes(info))
    return await Handlers(state).handle(request, info)


async def access_review_handler(request: web.Request) -> web.Response:
    answer = review(request.app[STATE_KEY].auth, request[USER_KEY], await read_object(request))
    return json_response(answer, 201)


async def openapi_handler(request: web.Request) -> web.Response:
    document = document_for(request.path)
    if document is None:
        raise not_found_path()
    return web.Response(body=document, headers={"Content-Type": "application/json"})


async def version_handler(request: web.Request) -> web.Response:
    return json_response(VERSION_INFO)


async def health_handler(request: web.Request) -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


def _require_admin(request: web.Request) -> None:
    user = request[USER_KEY]
    if not user.is_admin:
        raise forbidden_path(user, request.method.lower(), request.path)


async def faults_handler(request: web.Request) -> web.Response:
    _require_admin(request)
    faults = request.app[STATE_KEY].faults
    if request.method == "POST":
        fault = faults.add_json(await read_body(request))
        return json_response(fault.to_json(), 201)
    if request.method == "DELETE":
        faults.clear()
    return json_response({"faults": [f.to_json() for f in faults.active]})


async def drop_watches_handler(request: web.Request) -> web.Response:
    _require_admin(request)
    request.app[STATE_KEY].faults.drop_open_watches()
    return json_response({"dropped": True})


def create_app(state: ServerState) -> web.Application:
    app = web.Application(middlewares=[error_middleware, gate_middleware], client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = state
    app.router.add_get("/version", version_handler)
    for path in ("/healthz", "/livez", "/readyz"):
        app.router.add_get(path, health_handler)
    app.router.add_post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", access_review_handler)
    app.router.add_get("/openapi/v3", openapi_handler)
    app.router.add_get("/openapi/v3/{tail:.*}", openapi_handler)
    app.router.add_route("*", "/_sandbox/faults", faults_handler)
    app.router.add_post("/_sandbox/faults/drop-watches", drop_watches_handler)
    app.router.add_route("*", "/{tail:.*}", api_handler)
    return app
