"""Monitoring on the side server, composed: `/metrics`, the request-metrics middleware, the
Alertmanager receiver, and (with KLEPAAS_WATCH_CLUSTER) the cluster watcher posting its alerts.

Routes are registered when the side server is built (before the bot exists); the receiver
answers 503 until `start` has the Slack client and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from klepaas.commands.services import Services
from klepaas.handlers.alerts import routes as alert_routes
from klepaas.handlers.alerts.cluster import ClusterAlerts
from klepaas.handlers.alerts.notifier import AlertNotifier
from klepaas.handlers.side import SideContext
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.k8s.watcher import ClusterWatcher, run_until_cancelled
from klepaas.logging import get_logger
from klepaas.metrics import CONTENT_TYPE_LATEST, metrics
from klepaas.storage.alerts import AlertMessages

log = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by its route pattern (not its path: ids stay out of labels)."""
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        recorder = metrics()
        recorder.http_requests.labels(request.method, route, str(status)).inc()
        recorder.http_seconds.labels(request.method, route).observe(time.perf_counter() - start)


async def serve_metrics(_: web.Request) -> web.Response:
    body = metrics().exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class Monitoring:
    def __init__(self) -> None:
        self.notifier: AlertNotifier | None = None
        self.cluster_alerts: ClusterAlerts | None = None
        self.watcher: ClusterWatcher | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def register_routes(self, app: web.Application, _side: SideContext | None = None) -> None:
        app.middlewares.append(request_metrics)
        app.router.add_get("/metrics", serve_metrics)
        alert_routes.register_routes(app, lambda: self.notifier)

    async def start(self, services: Services, deps: SlackDeps) -> None:
        repo = AlertMessages(services.storage.engine)
        channel_for = getattr(services.bindings, "channel_for", None) or getattr(
            services.policy, "channel_for", None
        )

        def route(namespace: str | None, cluster: str | None) -> str | None:
            return channel_for(namespace, cluster) if channel_for is not None else None

        settings = services.settings.alerts
        self.notifier = AlertNotifier(deps.replier, repo, settings, route)
        if settings.watch_cluster:
            gateway = services.clusters.get(None)
            self.cluster_alerts = ClusterAlerts(self.notifier, gateway, repo)
            self.watcher = ClusterWatcher(gateway, self.cluster_alerts.on_change,
                                          crash_restarts=settings.crash_restarts)
            self._tasks.append(asyncio.create_task(self._publish_forever(), name="alert publisher"))
            self._tasks.append(asyncio.create_task(run_until_cancelled(self.watcher), name="cluster watcher"))
            log.info("cluster watcher started", cluster=gateway.cluster)

    async def _publish_forever(self) -> None:
        assert self.cluster_alerts is not None
        while True:
            try:
                await self.cluster_alerts.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed post must not stop every later alert
                log.exception("publishing a cluster alert failed")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.notifier is not None:
            await self.notifier.close()
