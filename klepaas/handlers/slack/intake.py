"""A Slack request recorded the moment it is accepted, before it waits for a running slot.

The ack goes out on receipt and does no I/O (`klepaas.bot.socket_mode`). The spawned task's first
step, before the running limit (`tasks.py`), checks the delivery was not handled already and begins
the request's audit row (`pending`); the pipeline completes that same row (`Request.audit_id`).
If the bot stops while the request still waits its turn, the row is marked `interrupted` and the
person is told it did not run; after a crash the row is left pending and the next start marks it
interrupted (`klepaas.storage.orphans`). Nothing is re-run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.failures import localized
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.replies import Where
from klepaas.handlers.slack.translate import is_help
from klepaas.storage import AuditOutcome, WriteConnection

NOT_RUN = "the bot stopped before the request's turn came; it did not run"


class Intake:
    """One accepted request (text or a button's command) and its audit row, if it has one."""

    def __init__(
        self,
        deps: SlackDeps,
        where: Where,
        who: Actor,
        *,
        key: str | None,
        text: str | None = None,
        command: str | None = None,
        args: Mapping[str, Any] | None = None,
    ) -> None:
        self._deps = deps
        self.where = where
        self.who = who
        self._key = key
        self._text = text
        self._command = command
        self._args = dict(args or {})
        self.audit_id: int | None = None
        self._claimed = False

    async def accept(self) -> bool:
        if not await self._deps.dedup.first_time(self._key):
            return False  # a redelivery after a restart: the first delivery has its row
        if self._text is not None and is_help(self._text):
            return True  # help is answered, not audited
        storage, who = self._deps.services.storage, self.who

        def begin(connection: WriteConnection) -> int:
            return storage.audit.begin(
                actor_id=who.id,
                source=who.source,
                workspace=who.workspace,
                channel=who.channel,
                text=self._text,
                command=self._command,
                arguments=self._args,
                connection=connection,
            )

        self.audit_id = await storage.write(begin)
        return True

    def claim(self) -> int | None:
        """The row, handed to the pipeline: from now on the pipeline completes it."""
        self._claimed = True
        return self.audit_id

    async def dropped(self) -> None:
        await self._finish(AuditOutcome.INTERRUPTED, NOT_RUN)
        message = localized(
            self.where.lang,
            "The bot is restarting, so your request did not run.",
            "봇이 재시작하는 중이라 요청이 실행되지 않았습니다.",
        )
        hint = localized(self.where.lang, "send it again in a minute", "잠시 후 다시 보내 주세요")
        await self._deps.replier.error(self.where, message, hint)

    async def ended(self, *, cancelled: bool) -> None:
        if self._claimed:
            return
        if cancelled:
            await self._finish(AuditOutcome.INTERRUPTED, "cancelled before it reached the pipeline")
        else:
            await self._finish(AuditOutcome.FAILURE, "ended before it reached the pipeline")

    async def _finish(self, outcome: AuditOutcome, error: str) -> None:
        audit_id, audit = self.audit_id, self._deps.services.storage.audit
        if audit_id is None:
            return
        self._claimed = True
        await asyncio.to_thread(lambda: audit.finish(audit_id, outcome=outcome, error=error))
