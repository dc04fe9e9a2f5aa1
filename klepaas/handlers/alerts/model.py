"""An alert group as the bot shows it, whichever source raised it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

Source = Literal["alertmanager", "watcher"]
GroupStatus = Literal["firing", "resolved"]


@dataclass(frozen=True)
class AlertItem:
    name: str  # alertname, or the pod
    status: GroupStatus
    summary: str
    detail: str = ""  # changes without making the problem new (restart counts, values)


@dataclass(frozen=True)
class Target:
    """The app the buttons act on."""

    cluster: str | None
    namespace: str
    app: str


@dataclass
class Enrichment:
    logs: str | None = None
    log_source: str | None = None
    events: list[str] = field(default_factory=list)
    last_change: str | None = None


@dataclass
class AlertView:
    key: str
    source: Source
    status: GroupStatus
    title: str
    severity: str
    namespace: str | None
    items: list[AlertItem]
    target: Target | None = None
    link: str | None = None
    # Called only when the message is about to be posted or edited (API calls cost; most updates do not).
    enrich: Callable[[], Awaitable[Enrichment]] | None = None

    def digest(self) -> str:
        """What makes the problem the same: status and each item's name, status and summary."""
        body = [self.status, sorted((i.name, i.status, i.summary) for i in self.items)]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()
