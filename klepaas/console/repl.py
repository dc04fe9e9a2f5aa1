"""The interactive console for `klepaas demo`: a prompt with history, or one request per line.

On a terminal it reads with readline (history in ~/.klepaas_history, or a temp dir when the home
directory is not writable). Otherwise (a pipe, a script file) it reads one request per line, echoes
it, and stops at end of input, so a session can be scripted.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from types import ModuleType

from rich.console import Console
from rich.text import Text

from klepaas.console.session import ConsoleSession

PROMPT = "klepaas> "
_EXIT_WORDS = frozenset({"exit", "quit", ":q", "나가기", "종료"})
_HISTORY_LENGTH = 1000

BANNER = (
    'K-Le-PaaS console. Ask in Korean or English ("nginx 상태 보여줘", "scale api to 3 in staging"),\n'
    "or use commands (`status nginx`, `list pods -n all`). `help` lists commands; `exit` leaves."
)


def history_file() -> Path:
    """~/.klepaas_history when the home directory is writable, else one under the temp dir."""
    with suppress(RuntimeError, OSError):
        home = Path.home()
        candidate = home / ".klepaas_history"
        if candidate.exists() or (home.is_dir() and _writable(home)):
            return candidate
    return Path(tempfile.gettempdir()) / "klepaas_history"


def _writable(directory: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=directory):
            return True
    except OSError:
        return False


async def run_lines(session: ConsoleSession, lines: Iterable[str], *, echo: bool = True) -> int:
    """Run requests one per line (blank lines and `#` comments skipped); returns how many failed."""
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in _EXIT_WORDS:
            break
        if echo:
            session.console.print(Text(PROMPT, style="bold cyan") + Text(line))
        await session.submit(line)
        session.console.print()
    return session.errors


async def run_interactive(session: ConsoleSession, *, history: Path | None = None) -> int:
    """Prompt until `exit` or end of input (Ctrl-D); Ctrl-C cancels the current line only."""
    path = history or history_file()
    readline = _setup_readline(path)
    session.console.print(Text(BANNER, style="dim"))
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, PROMPT)
            except EOFError:
                session.console.print()
                break
            except KeyboardInterrupt:
                session.console.print()
                continue
            line = line.strip()
            if not line:
                continue
            if line.lower() in _EXIT_WORDS:
                break
            await session.submit(line)
    finally:
        if readline is not None:
            with suppress(OSError):
                readline.write_history_file(str(path))
    return session.errors


def ask_outside_history(console: Console) -> Callable[[str], str]:
    """A prompt for confirmations whose answers ("y") stay out of the command history."""

    def ask(prompt: str) -> str:
        answer = console.input(Text(prompt))
        readline = sys.modules.get("readline")
        if readline is not None and answer.strip():
            length = readline.get_current_history_length()
            if length and readline.get_history_item(length) == answer:
                readline.remove_history_item(length - 1)
        return answer

    return ask


def _setup_readline(history: Path) -> ModuleType | None:
    try:
        import readline
    except ImportError:  # not on every platform; the prompt still works without history
        return None
    readline.set_history_length(_HISTORY_LENGTH)
    with suppress(OSError):
        if history.exists():
            readline.read_history_file(str(history))
    return readline
