"""The cluster alert publisher: groups queued by the watcher are published in order."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from klepaas.handlers.alerts.cluster import ClusterAlerts
from klepaas.handlers.alerts.model import AlertView
from klepaas.handlers.alerts.notifier import AlertNotifier
from klepaas.k8s.watcher import Problem


class _FailingOnceNotifier:
    """Stands in for the Slack notifier: the first publish fails, later ones are recorded."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.second = asyncio.Event()
        self._calls = 0

    async def publish(self, view: AlertView) -> str:
        self._calls += 1
        if self._calls == 1:
            raise RuntimeError("Slack is down")
        self.published.append(view.key)
        self.second.set()
        return "posted"


def _crash(app: str) -> Problem:
    return Problem(cluster="dev", namespace="prod", kind="Pod", name=f"{app}-1", app=app,
                   reason="CrashLoopBackOff")


async def test_groups_still_queued_when_a_publish_fails_are_published_by_the_restarted_publisher() -> None:
    notifier = _FailingOnceNotifier()
    alerts = ClusterAlerts(cast(AlertNotifier, notifier), cast(Any, None), cast(Any, None))
    await alerts.on_change(_crash("api"), True)
    await alerts.on_change(_crash("web"), True)

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(alerts.run(), timeout=10)
    restarted = asyncio.create_task(alerts.run())
    try:
        await asyncio.wait_for(notifier.second.wait(), timeout=10)
    finally:
        restarted.cancel()
        await asyncio.gather(restarted, return_exceptions=True)

    assert notifier.published == ["watch:dev/prod/web/CrashLoopBackOff"]
