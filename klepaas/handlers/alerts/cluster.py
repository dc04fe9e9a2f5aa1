"""The watcher's problems as alert groups: one group per app and reason (a burst of crashing pods
is one message, edited as pods join or recover), enriched when it is posted or edited.

`on_change` only records and queues the group; one worker publishes queued groups in order, so
the watcher never waits on Slack and a burst of changes to one group is one publish.
"""

from __future__ import annotations

import asyncio

from klepaas.errors import KlepaasError
from klepaas.handlers.alerts.model import AlertItem, AlertView, Enrichment, Target
from klepaas.handlers.alerts.notifier import AlertNotifier
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.watcher import Problem
from klepaas.storage.alerts import AlertMessages

LOG_LINES = 15
SEVERITY = {"FailedScheduling": "warning"}


def group_key(problem: Problem) -> str:
    return f"watch:{problem.cluster}/{problem.namespace}/{problem.app}/{problem.reason}"


class ClusterAlerts:
    def __init__(self, notifier: AlertNotifier, gateway: KubeGateway, repo: AlertMessages,
                 cluster_name: str | None = None) -> None:
        self.notifier = notifier
        self.gateway = gateway
        self.repo = repo
        self.cluster_name = cluster_name
        self.groups: dict[str, dict[str, Problem]] = {}
        self._queued: dict[str, Problem] = {}  # key -> a problem of the group (names it when empty)
        self._wake = asyncio.Event()

    async def on_change(self, problem: Problem, active: bool) -> None:
        key = group_key(problem)
        members = self.groups.setdefault(key, {})
        if active:
            members[problem.name] = problem
        else:
            members.pop(problem.name, None)
        self._queued[key] = problem
        self._wake.set()

    async def run(self) -> None:
        """Publish queued groups until cancelled. The wake-up is cleared only once the queue is
        empty, so if a publish raises, a restarted `run` goes on with the groups still queued."""
        while True:
            await self._wake.wait()
            while self._queued:
                key, sample = next(iter(self._queued.items()))
                del self._queued[key]
                members = self.groups.get(key, {})
                await self.notifier.publish(self.view(key, sample, list(members.values())))
                if not members:
                    self.groups.pop(key, None)
            self._wake.clear()

    def view(self, key: str, sample: Problem, members: list[Problem]) -> AlertView:
        members = sorted(members, key=lambda p: p.name)
        items = [
            AlertItem(name=p.name, status="firing", summary=p.reason,
                      detail=f"{p.restarts} restarts" if p.restarts else "")
            for p in members
        ]
        count = len(members)
        what = "pod" if sample.kind == "Pod" else "deployment"
        title = f"{sample.app} in {sample.namespace}: {sample.reason}"
        if count > 1:
            title += f" ({count} {what}s)"
        return AlertView(
            key=key,
            source="watcher",
            status="firing" if members else "resolved",
            title=title,
            severity=SEVERITY.get(sample.reason, "critical"),
            namespace=sample.namespace,
            items=items,
            target=Target(self.cluster_name, sample.namespace, sample.app),
            enrich=(lambda: self.enrich(members)) if members else None,
        )

    async def enrich(self, members: list[Problem]) -> Enrichment:
        """The first failing pod's last log lines and warning events, and the app's last change."""
        first = members[0]
        enrichment = Enrichment()
        if first.kind == "Pod":
            crashed = first.reason in ("CrashLoopBackOff", "OOMKilled")
            enrichment.logs = await self._logs(first, previous=crashed)
            enrichment.log_source = first.name
            enrichment.events = await self._warnings(first)
        change = await asyncio.to_thread(self.repo.last_change, first.app, first.namespace)
        if change is not None:
            when = change.at.strftime("%Y-%m-%d %H:%M UTC") if change.at else "?"
            image = f" → `{change.image_after}`" if change.image_after else ""
            who = change.actor_id
            enrichment.last_change = f"{who} ran {change.command}{image} at {when}: {change.summary}"
        return enrichment

    async def _logs(self, problem: Problem, *, previous: bool) -> str | None:
        for prev in ((True, False) if previous else (False,)):
            try:
                text = await self.gateway.pod_logs(
                    problem.namespace, problem.name, container=problem.container, tail_lines=LOG_LINES,
                    previous=prev,
                )
            except KlepaasError:
                continue
            if text.strip():
                return text.rstrip()
        return None

    async def _warnings(self, problem: Problem) -> list[str]:
        try:
            events = await self.gateway.list_events(
                problem.namespace, field_selector=f"involvedObject.name={problem.name}", limit=50
            )
        except KlepaasError:
            return []
        warnings = [e for e in events.items if e.type == "Warning"]
        warnings.sort(key=lambda e: e.last_seen.timestamp() if e.last_seen else 0.0)
        return [f"{e.reason}: {e.message}" + (f" (×{e.count})" if e.count > 1 else "") for e in warnings[-5:]]
