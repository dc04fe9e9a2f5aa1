"""What the Slack listeners share: the pipeline, the approvals, the replier, background work."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from klepaas.commands.pipeline import Pipeline
from klepaas.commands.services import Services
from klepaas.config import Settings
from klepaas.handlers.slack.approvals import ApprovalBook
from klepaas.handlers.slack.dedup import Deduper
from klepaas.handlers.slack.replies import Replier, Where
from klepaas.handlers.slack.tasks import Admission, BackgroundTasks
from klepaas.storage.approvals import Approvals, Deliveries
from klepaas.storage.policy_store import ApprovalGuards


@dataclass
class SlackDeps:
    settings: Settings
    services: Services
    pipeline: Pipeline
    replier: Replier
    book: ApprovalBook
    dedup: Deduper
    tasks: BackgroundTasks
    # Edits of a live rollout message are at least this far apart (Slack rate-limits chat.update).
    rollout_edit_interval: float = 1.0

    def spawn(
        self, work: Coroutine[Any, Any, None], where: Where, *, name: str, admission: Admission | None = None
    ) -> asyncio.Task[None]:
        """Run `work` after the ack; whatever goes wrong is told to the person in `where`.
        A request's `admission` (`intake.Intake`) records it before it waits for its turn."""

        async def tell(message: str, hint: str | None) -> None:
            await self.replier.error(where, message, hint)

        return self.tasks.spawn(work, tell, name=name, admission=admission)


def build_deps(services: Services, client: AsyncWebClient, settings: Settings) -> SlackDeps:
    engine = services.storage.engine
    return SlackDeps(
        settings=settings,
        services=services,
        pipeline=services.pipeline(),
        replier=Replier(client),
        book=ApprovalBook(
            Approvals(engine), ttl_seconds=settings.policy.approval_ttl_seconds, guards=ApprovalGuards(engine)
        ),
        dedup=Deduper(Deliveries(engine)),
        tasks=BackgroundTasks(settings.slack.max_running),
    )
