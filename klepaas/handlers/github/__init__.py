"""GitHub → deploy → Slack: `POST /api/v1/cicd/webhook`.

The order matters: size cap, then the signature over the raw bytes (401 and an audit row when it
is missing or wrong), and only then the JSON. A delivery id seen before is answered and dropped
(GitHub redelivers on timeouts and on request). Accepted deploys run in the background; GitHub
gets its answer at once (it waits 10 s at most).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from klepaas.handlers.github.deploys import run_deploy, tell_in_thread
from klepaas.handlers.github.events import intent, repo_of
from klepaas.handlers.github.signature import signature_ok
from klepaas.handlers.side import SideContext
from klepaas.handlers.slack.replies import Where
from klepaas.logging import get_logger
from klepaas.storage import AuditOutcome
from klepaas.storage.projects import Projects, WebhookDeliveries

log = get_logger(__name__)

PATH = "/api/v1/cicd/webhook"


def register_routes(app: web.Application, side: SideContext) -> None:
    async def webhook(request: web.Request) -> web.Response:
        return await handle_webhook(request, side)

    app.router.add_post(PATH, webhook)


def _answer(http_status: int, **body: Any) -> web.Response:
    return web.json_response(body, status=http_status)


async def _read_capped(request: web.Request, cap: int) -> bytes | None:
    if request.content_length is not None and request.content_length > cap:
        return None
    body = await request.content.read(cap + 1)
    return None if len(body) > cap else body


async def handle_webhook(request: web.Request, side: SideContext) -> web.Response:
    services, deps = side.ready()
    event = request.headers.get("X-GitHub-Event", "")
    delivery = request.headers.get("X-GitHub-Delivery", "")
    cap = side.settings.github.webhook_max_bytes

    async def refuse(status: int, reason: str) -> web.Response:
        audit = services.storage.audit

        def write() -> None:
            audit_id = audit.begin(
                actor_id="github",
                source="webhook",
                workspace=None,
                channel=None,
                text=f"{event} {delivery}",
                command=None,
                arguments={"event": event, "delivery": delivery},
                namespace=None,
                cluster=None,
                plan_source=None,
                decision="deny",
                rule="webhook-" + reason.split()[0],
            )
            audit.finish(audit_id, outcome=AuditOutcome.REFUSED, approver=None, error=reason)

        await asyncio.to_thread(write)
        log.warning("webhook refused", reason=reason, github_event=event, delivery=delivery)
        return _answer(status, error=reason)

    body = await _read_capped(request, cap)
    if body is None:
        return await refuse(413, f"oversized body (more than {cap} bytes)")
    secret = side.settings.integrations.github_webhook_secret
    if secret is None:
        return await refuse(401, "unverifiable: GITHUB_WEBHOOK_SECRET is not set")
    if not signature_ok(secret.get_secret_value(), body, request.headers.get("X-Hub-Signature-256")):
        return await refuse(401, "signature missing or wrong")

    try:
        payload = json.loads(body)
    except ValueError:
        return _answer(400, error="body is not JSON")
    if not isinstance(payload, dict):
        return _answer(400, error="body is not a JSON object")
    if event == "ping":
        return _answer(200, pong=True, zen=payload.get("zen"))
    if not delivery:
        return _answer(400, error="X-GitHub-Delivery is missing")

    repo = repo_of(payload)
    deliveries = WebhookDeliveries(services.storage.engine)
    if not await asyncio.to_thread(deliveries.first_time, delivery, event, repo):
        log.info("webhook redelivered; already handled", delivery=delivery, github_event=event)
        return _answer(200, status="duplicate", delivery=delivery)
    project = await asyncio.to_thread(Projects(services.storage.engine).get, repo) if repo else None
    if project is None:
        log.info(
            "webhook for a repository with no project; ignored",
            repo=repo,
            github_event=event,
            delivery=delivery,
        )
        await asyncio.to_thread(deliveries.set_status, delivery, "ignored", "no project")
        return _answer(202, status="ignored", reason=f"no project for {repo}")
    wanted = intent(event, payload, project)
    if isinstance(wanted, str):
        log.info("webhook deploys nothing", repo=repo, github_event=event, reason=wanted)
        await asyncio.to_thread(deliveries.set_status, delivery, "ignored", wanted)
        return _answer(202, status="ignored", reason=wanted)

    where = Where(channel=project.channel, user=f"github:{wanted.author}", workspace=project.workspace)

    async def tell(message: str, hint: str | None) -> None:
        await tell_in_thread(deps, where, message, hint)

    deps.tasks.spawn(run_deploy(deps, project, wanted, delivery), tell, name=f"github deploy {delivery}")
    return _answer(202, status="deploying", environment=wanted.environment, sha=wanted.sha)
