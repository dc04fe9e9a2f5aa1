"""Live rollout progress on the console: one updating line on a terminal, new lines otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.text import Text

from klepaas.commands.i18n import t
from klepaas.commands.localise import error_words
from klepaas.commands.pipeline import Pipeline, RolloutTarget
from klepaas.errors import KlepaasError
from klepaas.llm.plan import Lang

if TYPE_CHECKING:
    from klepaas.k8s.rollout import RolloutSnapshot


def snapshot_line(snapshot: RolloutSnapshot) -> Text:
    """`rollout api (staging) rev 4: 2/3 updated, 2 ready, 2 available, 1 old — message`."""
    if snapshot.done:
        mark, style = "✓", "green"
    elif snapshot.failed or snapshot.timed_out:
        mark, style = "✗", "red"
    else:
        mark, style = "…", "yellow"
    revision = f" rev {snapshot.revision}" if snapshot.revision is not None else ""
    line = Text(f"{mark} ", style=f"bold {style}")
    line.append(f"rollout {snapshot.name} ({snapshot.namespace}){revision}: ")
    line.append(f"{snapshot.updated}/{snapshot.desired} updated, {snapshot.ready} ready, ")
    line.append(f"{snapshot.available} available")
    if snapshot.old_replicas:
        line.append(f", {snapshot.old_replicas} old")
    if snapshot.message:
        line.append(f" — {snapshot.message}", style="dim")
    for problem in snapshot.failing_pods[:3]:
        line.append(f"\n    pod {problem.pod}/{problem.container}: {problem.reason}", style="red")
        if problem.restarts:
            line.append(f" ({problem.restarts} restarts)", style="red")
    return line


async def follow_rollout(
    pipeline: Pipeline, target: RolloutTarget, console: Console, lang: Lang = "en"
) -> bool:
    """Show the rollout until it finishes; True when it completed. Why it could not be followed
    is said in `lang`."""
    last: RolloutSnapshot | None = None
    try:
        if console.is_terminal:
            with Live(
                Text(f"following rollout of {target.name}…", style="dim"),
                console=console,
                transient=False,
                refresh_per_second=8,
            ) as live:
                async for snapshot in pipeline.follow_rollout(target):
                    live.update(snapshot_line(snapshot))
                    last = snapshot
        else:
            async for snapshot in pipeline.follow_rollout(target):
                console.print(snapshot_line(snapshot))
                last = snapshot
    except KlepaasError as exc:  # the command itself succeeded; say why we stopped watching
        words = error_words(exc, lang)
        said = f"{words.message} — {words.hint}" if words.hint else words.message
        console.print(Text(t(lang, "console.follow_failed", error=said), style="red"))
        return False
    return last is not None and last.done
