"""Posting alert groups to Slack without the noise.

One message per group (`AlertView.key`), found again through the `alert_message` table after a
restart and edited with chat.update as the group changes. What keeps it quiet:

- unchanged: a view whose digest equals the stored one is not posted or edited again;
- silenced: a key muted (Silence 1h) is skipped until its time is up;
- throttled: a group edited less than `throttle_seconds` ago is edited once more when the window
  ends, with the newest view (a burst becomes one edit);
- quiet hours: a new non-critical group is not posted to a channel in its quiet hours.

Routing: the channel bound to the alert's namespace, else the channel for its severity, else the
default alert channel. One lock per key: two webhooks for one group cannot post two messages.

Language: an alert has no person whose language it could take, so it speaks the channel's
(`KLEPAAS_ALERT_LANGUAGES`: per channel, or one for all), English when none is set. What people
wrote (Alertmanager's summaries, pod names, reasons) is shown as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from klepaas.commands.i18n import t
from klepaas.config import AlertSettings
from klepaas.handlers.alerts.model import AlertView, Enrichment
from klepaas.handlers.slack.blocks import build_message
from klepaas.handlers.slack.replies import Replier, Where
from klepaas.logging import get_logger
from klepaas.metrics import metrics
from klepaas.storage.alerts import AlertMessages, app_silence_key

log = get_logger(__name__)

Action = Literal["posted", "updated", "unchanged", "throttled", "quiet", "silenced", "unrouted"]
ChannelFor = Callable[[str | None, str | None], str | None]  # (namespace, cluster) -> channel


def in_quiet_hours(span: tuple[int, int], hour: int) -> bool:
    start, end = span
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def button_value(view: AlertView) -> str:
    target = view.target
    assert target is not None
    return json.dumps({"k": view.key, "c": target.cluster, "n": target.namespace, "a": target.app},
                      separators=(",", ":"))


class AlertNotifier:
    def __init__(
        self,
        replier: Replier,
        repo: AlertMessages,
        settings: AlertSettings,
        channel_for: ChannelFor,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.replier = replier
        self.repo = repo
        self.settings = settings
        self.channel_for = channel_for
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: dict[str, AlertView] = {}
        self._flushers: dict[str, asyncio.Task[None]] = {}

    def route(self, view: AlertView) -> str | None:
        cluster = view.target.cluster if view.target else None
        bound = self.channel_for(view.namespace, cluster) if view.namespace else None
        return bound or self.settings.severity_map().get(view.severity) or self.settings.default_channel

    async def publish(self, view: AlertView) -> Action:
        lock = self._locks.setdefault(view.key, asyncio.Lock())
        async with lock:
            action = await self._publish(view)
        metrics().alerts.labels(view.source, action).inc()
        return action

    async def _publish(self, view: AlertView) -> Action:
        now = self.clock()
        if await asyncio.to_thread(self.repo.silenced_until, view.key, now) is not None:
            return "silenced"
        target = view.target  # `silence_alert APP` mutes every alert about the app
        if target is not None and await asyncio.to_thread(
            self.repo.silenced_until, app_silence_key(target.namespace, target.app), now
        ) is not None:
            return "silenced"
        existing = await asyncio.to_thread(self.repo.get, view.key)
        digest = view.digest()
        if existing is not None and existing.digest == digest:
            return "unchanged"
        if existing is None and view.status == "resolved":
            return "unchanged"  # resolved before anyone was told: nothing to say
        channel = existing.channel if existing is not None else self.route(view)
        if channel is None:
            log.warning("an alert has no channel to go to", key=view.key, namespace=view.namespace)
            return "unrouted"
        if existing is None and view.severity != "critical" and self._quiet(channel, now):
            return "quiet"
        window = self.settings.throttle_seconds
        if existing is not None and existing.ts and now - existing.updated_at < window:
            self._defer(view, existing.updated_at + window - now)
            return "throttled"
        message = await self._message(view, channel)
        if existing is not None and existing.ts:
            await self.replier.update(existing.channel, existing.ts, message)
            await asyncio.to_thread(self._save, view, channel, None, digest, now)
            return "updated"
        ts = await self.replier.post(Where(channel=channel, user=""), message)
        await asyncio.to_thread(self._save, view, channel, ts, digest, now)
        return "posted"

    def _save(self, view: AlertView, channel: str, ts: str | None, digest: str, now: float) -> None:
        self.repo.save(key=view.key, source=view.source, channel=channel, ts=ts, digest=digest,
                       status=view.status, namespace=view.namespace, now=now)

    def _quiet(self, channel: str, now: float) -> bool:
        span = self.settings.quiet_map().get(channel)
        return span is not None and in_quiet_hours(span, datetime.fromtimestamp(now, UTC).hour)

    def _defer(self, view: AlertView, delay: float) -> None:
        """Keep the newest view; one flush per key when the throttle window ends."""
        self._pending[view.key] = view
        if view.key in self._flushers:
            return

        async def flush() -> None:
            await asyncio.sleep(max(0.0, delay))
            self._flushers.pop(view.key, None)
            pending = self._pending.pop(view.key, None)
            if pending is not None:
                await self.publish(pending)

        self._flushers[view.key] = asyncio.create_task(flush(), name=f"alert flush {view.key}")

    async def _message(self, view: AlertView, channel: str) -> dict[str, Any]:
        lang = self.settings.language_for(channel)
        enrichment: Enrichment | None = None
        if view.enrich is not None and view.status == "firing":
            enrichment = await view.enrich()
        buttons: list[tuple[str, str, str, str | None]] = []
        if view.target is not None:
            value = button_value(view)
            buttons = [
                (t(lang, "alert.button.restart"), "alert_restart", value, None),
                (t(lang, "alert.button.rollback"), "alert_rollback", value, "danger"),
                (t(lang, "alert.button.logs"), "alert_logs", value, None),
                (t(lang, "alert.button.silence"), "alert_silence", value, None),
            ]
        return build_message("alert", view=view, enrichment=enrichment, buttons=buttons,
                             silenced_text=None, lang=lang)

    async def close(self) -> None:
        tasks = list(self._flushers.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
