"""The console's approval: a confirmation prompt that names the action, in the language of the
request (Korean for a Korean request). `--yes` answers it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from klepaas.commands.context import Actor
from klepaas.commands.describe import describe_action
from klepaas.commands.i18n import t
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.console.render import render_result
from klepaas.llm.plan import Lang
from klepaas.llm.rules.lang import detect_lang

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
        # The language of the request being confirmed: set by the front door (`speaking_for`).
        self.lang: Lang = "en"

    def speaking_for(self, text: str, lang: Lang | None = None) -> None:
        """Ask about the next request in its language: the one given, else the one its text is in
        (how the planner tells: any Hangul is Korean)."""
        self.lang = lang or detect_lang(text)

    @property
    def answers_at_once(self) -> bool:
        """`--yes` answers without asking: the pipeline need not guard against a stale approval."""
        return self.assume_yes

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        lang = self.lang
        if preview is not None:
            self.console.print(Text(t(lang, "console.preview"), style="bold"))
            render_result(preview, self.console)
        question = t(lang, "console.confirm", action=describe_action(spec, args, lang))
        self.asked.append(question.strip())
        if self.assume_yes:
            self.console.print(Text(question) + Text("y (--yes)", style="dim"))
            return True
        if not self.interactive:
            self.console.print(Text(question) + Text(t(lang, "console.no_terminal"), style="yellow"))
            return False
        try:
            answer = await asyncio.to_thread(self._ask, question)
        except EOFError:
            return False
        return answer.strip().lower() in _YES
