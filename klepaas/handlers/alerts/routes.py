"""`POST /api/v1/alerts`: Alertmanager's webhook receiver.

The group is posted or edited before we answer 200, so a Slack or database failure answers 503
and Alertmanager sends the notification again (nothing accepted is lost). A body that is not a
version 4 notification is a 400 with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aiohttp import web
from slack_sdk.errors import SlackApiError

from klepaas.errors import KlepaasError, UserError
from klepaas.handlers.alerts.alertmanager import parse_webhook
from klepaas.handlers.alerts.notifier import AlertNotifier
from klepaas.logging import get_logger

log = get_logger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024


def register_routes(app: web.Application, notifier: Callable[[], AlertNotifier | None]) -> None:
    async def receive(request: web.Request) -> web.Response:
        current = notifier()
        if current is None:
            return web.json_response({"error": "starting"}, status=503, headers={"Retry-After": "2"})
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            return web.json_response({"error": "body too large"}, status=413)
        try:
            view = parse_webhook(json.loads(raw or b"null"))
        except (ValueError, UserError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        try:
            action = await current.publish(view)
        except KlepaasError as exc:
            log.warning("an alert could not be delivered; Alertmanager will retry", error=str(exc))
            return web.json_response({"error": exc.message}, status=503)
        except SlackApiError as exc:
            log.warning("Slack refused an alert; Alertmanager will retry", error=exc.response.get("error"))
            return web.json_response({"error": "delivery failed"}, status=503)
        return web.json_response({"status": "ok", "action": action})

    app.router.add_post("/api/v1/alerts", receive)
