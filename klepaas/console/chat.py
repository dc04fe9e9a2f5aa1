"""`klepaas chat`: one request through the pipeline, printed for a terminal or as JSON."""

from __future__ import annotations

import sys

from rich.console import Console

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Outcome, Request
from klepaas.commands.services import build_services
from klepaas.config import Settings
from klepaas.console.approver import ConsoleApprover
from klepaas.console.output import print_json
from klepaas.console.progress import follow_rollout
from klepaas.console.render import render_outcome

EXIT_OK, EXIT_ERROR, EXIT_NOT_APPROVED = 0, 1, 2


def exit_code(outcome: Outcome) -> int:
    if not outcome.ok:
        return EXIT_ERROR
    if outcome.approval is not None and outcome.approval.required and not outcome.approval.approved:
        return EXIT_NOT_APPROVED
    return EXIT_OK


async def run_chat(
    settings: Settings,
    text: str,
    *,
    user: str = "console",
    channel: str | None = None,
    as_json: bool = False,
    assume_yes: bool = False,
    cluster: str | None = None,
    interactive: bool | None = None,
) -> int:
    # With --json, stdout carries only the JSON document; prompts and previews go to stderr.
    console = Console(stderr=as_json)
    interactive = sys.stdin.isatty() if interactive is None else interactive
    services = await build_services(settings)
    try:
        pipeline = services.pipeline()
        approver = ConsoleApprover(console, assume_yes=assume_yes, interactive=interactive)
        approver.speaking_for(text)
        actor = Actor(id=user, source="console", name=user, channel=channel)
        outcome = await pipeline.handle(Request(actor=actor, text=text, cluster=cluster), approver)
        if as_json:
            print_json(outcome.to_json())
        else:
            render_outcome(outcome, console)
            lang = outcome.plan.lang if outcome.plan is not None else "en"
            if outcome.rollout is not None and not await follow_rollout(
                pipeline, outcome.rollout, console, lang
            ):
                return EXIT_ERROR
        return exit_code(outcome)
    finally:
        await services.close()
