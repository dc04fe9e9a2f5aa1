"""Result blocks → rich renderables. One function per block kind; nothing here talks to a cluster."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table as RichTable
from rich.text import Text as RichText

from klepaas.commands.pipeline import Outcome
from klepaas.commands.result import (
    Actions,
    Block,
    Code,
    Context,
    Fields,
    Header,
    Image,
    Result,
    Table,
    Text,
)

_STATUS_STYLE = {
    "success": ("✓", "green"),
    "info": ("i", "blue"),
    "warning": ("!", "yellow"),
    "error": ("✗", "red"),
}
# Slack-style inline markdown: *bold*, _italic_, `code`.
_INLINE = re.compile(r"(\*[^*\n]+\*|`[^`\n]+`|_[^_\n]+_)")


def inline_markup(text: str) -> RichText:
    """Slack-flavoured inline markdown as rich Text; everything else is literal (no markup injection)."""
    out = RichText()
    for part in _INLINE.split(text):
        if not part:
            continue
        if len(part) > 2 and part[0] == part[-1] == "*":
            out.append(part[1:-1], style="bold")
        elif len(part) > 2 and part[0] == part[-1] == "`":
            out.append(part[1:-1], style="cyan")
        elif len(part) > 2 and part[0] == part[-1] == "_":
            out.append(part[1:-1], style="italic")
        else:
            out.append(part)
    return out


def render_block(block: Block) -> RenderableType:
    if isinstance(block, Header):
        return Rule(RichText(block.text, style="bold"), align="left")
    if isinstance(block, Text):
        return inline_markup(block.text)
    if isinstance(block, Fields):
        grid = RichTable.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for label, value in block.items:
            grid.add_row(label, inline_markup(value))
        return grid
    if isinstance(block, Table):
        table = RichTable(title=block.title, title_justify="left", header_style="bold", show_edge=False)
        for column in block.columns:
            table.add_column(column)
        for row in block.rows:
            table.add_row(*(escape(cell) for cell in row))
        if block.omitted:
            table.caption = f"and {block.omitted} more"
            table.caption_justify = "left"
        return table
    if isinstance(block, Code):
        body: RenderableType = (
            Syntax(block.text, block.language, word_wrap=True, theme="ansi_dark")
            if block.language
            else RichText(block.text)
        )
        return Panel(
            body, title=escape(block.title) if block.title else None, title_align="left", expand=False
        )
    if isinstance(block, Context):
        return RichText(block.text, style="dim")
    if isinstance(block, Image):
        return RichText(f"Chart: {block.title} → {block.path}", style="cyan")
    if isinstance(block, Actions):
        labels = " · ".join(button.label for button in block.buttons)
        return RichText(f"Actions (buttons in Slack): {labels}", style="dim italic")
    raise TypeError(f"unknown block kind: {type(block).__name__}")


def _renderables(result: Result) -> Iterator[RenderableType]:
    mark, color = _STATUS_STYLE.get(result.status, ("•", "white"))
    line = RichText(f"{mark} ", style=f"bold {color}")
    line.append_text(inline_markup(result.summary))
    yield line
    blocks = list(result.blocks)
    if blocks and isinstance(blocks[0], Header) and blocks[0].text == result.summary:
        blocks = blocks[1:]  # the summary line already says it
    for block in blocks:
        yield render_block(block)


def result_renderable(result: Result) -> RenderableType:
    return Group(*_renderables(result))


def render_result(result: Result, console: Console) -> None:
    console.print(result_renderable(result))


def render_outcome(outcome: Outcome, console: Console, *, verbose: bool = False) -> None:
    """The result, plus (verbose) how it was planned and decided."""
    if verbose and outcome.plan is not None:
        args = ", ".join(f"{key}={value}" for key, value in outcome.plan.args.items())
        note = f"plan: {outcome.plan.command}({args}) via {outcome.plan.source}"
        if outcome.decision is not None:
            note += f" · policy: {outcome.decision.action.value} ({outcome.decision.rule})"
        console.print(RichText(note, style="dim"))
    render_result(outcome.result, console)
