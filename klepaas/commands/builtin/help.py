"""`help`: the commands, from the registry, in the user's language."""

from __future__ import annotations

from typing import Any

from klepaas.commands.context import CommandContext
from klepaas.commands.i18n import t
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Block, Context, Header, Result, Table

_RISK_ORDER = {Risk.READ: 0, Risk.WRITE: 1, Risk.DANGEROUS: 2}


class HelpArgs(Args):
    pass


async def run_help(ctx: CommandContext, args: HelpArgs) -> Result:
    lang = ctx.lang
    specs = sorted(ctx.registry, key=lambda s: (_RISK_ORDER.get(s.risk, 9), s.name))
    blocks: list[Block] = [Header(text=t(lang, "help.title"))]
    # Everyday commands by risk, then the administrative ones (never chosen by a planner).
    groups = [(f"risk.{risk.value}", [s for s in specs if s.planner and s.risk == risk]) for risk in Risk]
    groups.append(("help.admin", [s for s in specs if not s.planner]))
    for title, group in groups:
        if not group:
            continue
        blocks.append(
            Table(
                title=t(lang, title),
                columns=[t(lang, "col.command"), t(lang, "col.description")],
                rows=[[s.usage, s.help_ko if lang == "ko" else s.help_en] for s in group],
            )
        )
    blocks.append(Context(text=t(lang, "help.footer")))
    return Result(
        command="help",
        status="info",
        summary=t(lang, "help.summary", count=len(specs)),
        blocks=blocks,
        data={
            "commands": [
                {
                    "name": s.name,
                    "usage": s.usage,
                    "risk": s.risk.value,
                    "scope": s.scope.value,
                    "help": s.help_ko if lang == "ko" else s.help_en,
                    "help_en": s.help_en,
                    "help_ko": s.help_ko,
                }
                for s in specs
            ]
        },
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="help",
        args_model=HelpArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_help,
        help_en="What I can do, and how to ask",
        help_ko="사용할 수 있는 명령과 사용법",
        template="help",
    ),
]
