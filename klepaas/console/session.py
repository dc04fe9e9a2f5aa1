"""One console conversation: requests through the pipeline, results rendered, rollouts followed."""

from __future__ import annotations

import uuid

from rich.console import Console
from rich.text import Text

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Approver, Outcome, Pipeline, Request
from klepaas.console.approver import ConsoleApprover
from klepaas.console.progress import follow_rollout
from klepaas.console.render import render_outcome
from klepaas.llm.plan import Lang


class ConsoleSession:
    def __init__(
        self,
        pipeline: Pipeline,
        console: Console,
        *,
        actor: Actor,
        approver: Approver,
        cluster: str | None = None,
        lang: Lang | None = None,
        follow_rollouts: bool = True,
        verbose: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.console = console
        self.actor = actor
        self.approver = approver
        self.cluster = cluster
        self.lang = lang
        self.follow_rollouts = follow_rollouts
        self.verbose = verbose
        # This session's conversation: the pipeline keeps its last plan for follow-ups ("now 5 replicas").
        self.conversation = f"console:{actor.id}:{uuid.uuid4().hex}"
        self.errors = 0
        self.last_ok = True  # the last request's result and, if it started one, its rollout

    async def submit(self, text: str) -> Outcome:
        request = Request(
            actor=self.actor, text=text, cluster=self.cluster, lang=self.lang, conversation=self.conversation
        )
        if isinstance(self.approver, ConsoleApprover):
            self.approver.speaking_for(text, self.lang)
        outcome = await self.pipeline.handle(request, self.approver)
        render_outcome(outcome, self.console, verbose=self.verbose)
        self.last_ok = outcome.ok
        if outcome.rollout is not None and self.follow_rollouts:
            lang = outcome.plan.lang if outcome.plan is not None else "en"
            self.last_ok = await follow_rollout(self.pipeline, outcome.rollout, self.console, lang)
        if not self.last_ok:
            self.errors += 1
        return outcome

    def note(self, text: str) -> None:
        self.console.print(Text(text, style="dim"))
