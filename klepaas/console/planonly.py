"""`klepaas plan`: the planner alone. Executes nothing and needs no cluster or database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.text import Text

from klepaas.config import Settings
from klepaas.console.output import print_json
from klepaas.errors import KlepaasError
from klepaas.llm.plan import Clarify, Plan, PlanningContext


def plan_json(answer: Plan | Clarify) -> dict[str, Any]:
    if isinstance(answer, Clarify):
        return {"command": None, "clarify": answer.question}
    return {"command": answer.command, "args": answer.args, "source": answer.source}


async def run_plan(settings: Settings, lines: Iterable[str], *, as_json: bool) -> int:
    """Plan each utterance in order, one output line each; returns 1 if any could not be planned."""
    from klepaas.commands.builtin import build_registry
    from klepaas.llm.planner import build_planner

    planner = build_planner(settings, build_registry().infos())
    console = Console()
    failures = 0
    for line in lines:
        text = line.strip()
        if not text:
            continue
        try:
            answer = await planner.plan(text, PlanningContext())
        except KlepaasError as exc:
            failures += 1
            if as_json:
                print_json({"command": None, "error": str(exc)})
            else:
                console.print(Text(f"✗ {exc}", style="red"))
            continue
        if as_json:
            print_json(plan_json(answer))
        elif isinstance(answer, Clarify):
            console.print(Text("? ", style="bold yellow") + Text(answer.question))
        else:
            args = " ".join(f"{key}={value}" for key, value in answer.args.items())
            console.print(
                Text(answer.command, style="bold") + Text(f" {args}  ({answer.source})", style="dim")
            )
    return 1 if failures else 0
