"""The console's approval: a confirmation prompt that names the action. `--yes` answers it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from klepaas.commands.context import Actor
from klepaas.commands.describe import describe_action
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.console.render import render_result

_YES = frozenset({"y", "yes", "예", "네", "응", "ㅇ"})


class ConsoleApprover:
    """Asks on the terminal. Without a terminal (scripts, pipes) it declines unless `assume_yes`."""

    def __init__(
        self,
        console: Console,
        *,
        assume_yes: bool = False,
        interactive: bool = True,
        ask: Callable[[str], str] | None = None,
    ) -> None:
        self.console = console
        self.assume_yes = assume_yes
        self.interactive = interactive
        self._ask = ask or (lambda prompt: console.input(Text(prompt)))
        self.asked: list[str] = []  # the questions put, for transcripts and tests

    @property
    def answers_at_once(self) -> bool:
        """`--yes` answers without asking: the pipeline need not guard against a stale approval."""
        return self.assume_yes

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        if preview is not None:
            self.console.print(Text("Preview (dry run):", style="bold"))
            render_result(preview, self.console)
        question = f"{describe_action(spec, args)}? [y/N] "
        self.asked.append(question.strip())
        if self.assume_yes:
            self.console.print(Text(question) + Text("y (--yes)", style="dim"))
            return True
        if not self.interactive:
            self.console.print(
                Text(question)
                + Text("declined: no terminal to ask on; pass --yes to confirm", style="yellow")
            )
            return False
        try:
            answer = await asyncio.to_thread(self._ask, question)
        except EOFError:
            return False
        return answer.strip().lower() in _YES
