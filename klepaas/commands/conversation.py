"""The pipeline's memory of each conversation: the last plan, for follow-ups.

Wraps a `ConversationStore` (Redis or the database) with the planner's types: a `Plan` goes in as
a plain dict and comes back as a `Plan`. A context is a convenience, never a requirement: when the
store fails (Redis down, database busy) the request is planned without it and the failure is
logged once, until the store works again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from klepaas.errors import KlepaasError
from klepaas.llm.plan import Plan
from klepaas.logging import get_logger
from klepaas.storage.conversations import ConversationStore

log = get_logger(__name__)


def plan_to_dict(plan: Plan, namespace: str | None, at: datetime | None = None) -> dict[str, Any]:
    return {
        "command": plan.command,
        "args": dict(plan.args),
        "source": plan.source,
        "lang": plan.lang,
        "namespace": namespace,
        "at": (at or datetime.now(UTC)).isoformat(),
    }


def plan_from_dict(value: dict[str, Any]) -> Plan | None:
    """The stored plan, or None when the entry is not one we wrote (a stray or older shape)."""
    command, args = value.get("command"), value.get("args")
    source, lang = value.get("source"), value.get("lang")
    if not isinstance(command, str) or not command or not isinstance(args, dict):
        return None
    return Plan(
        command=command,
        args=dict(args),
        source=source if isinstance(source, str) else "context",
        lang="ko" if lang == "ko" else "en",
    )


class ConversationMemory:
    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self._failing = False  # a failure was logged and the store has not worked since

    async def previous(self, key: str) -> Plan | None:
        try:
            value = await self.store.get(key)
        except KlepaasError as exc:
            self._failed("read", exc)
            return None
        self._worked()
        return plan_from_dict(value) if value is not None else None

    async def remember(self, key: str, plan: Plan, namespace: str | None) -> None:
        try:
            await self.store.put(key, plan_to_dict(plan, namespace))
        except KlepaasError as exc:
            self._failed("write", exc)
            return
        self._worked()

    def _failed(self, what: str, exc: KlepaasError) -> None:
        if not self._failing:
            log.warning(
                "conversation context unavailable; planning without it", operation=what, error=str(exc)
            )
        self._failing = True

    def _worked(self) -> None:
        if self._failing:
            log.info("conversation context available again")
        self._failing = False
