"""Live rollout progress on the console: one updating line on a terminal, new lines otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.text import Text

from klepaas.commands.i18n import t
from klepaas.commands.localise import error_words, rollout_message
from klepaas.commands.pipeline import Pipeline, RolloutTarget
from klepaas.errors import KlepaasError
from klepaas.llm.plan import Lang

if TYPE_CHECKING:
    from klepaas.k8s.rollout import RolloutSnapshot


def snapshot_line(snapshot: RolloutSnapshot, lang: Lang = "en") -> Text:
    """`rollout api (staging) rev 4: 2/3 updated, 2 ready, 2 available, 1 old — message`, in `lang`."""
    if snapshot.done:
        mark, style = "✓", "green"
    elif snapshot.failed or snapshot.timed_out:
        mark, style = "✗", "red"
    else:
        mark, style = "…", "yellow"
    revision = f" rev {snapshot.revision}" if snapshot.revision is not None else ""
    line = Text(f"{mark} ", style=f"bold {style}")
    line.append(
        t(
            lang,
            "rollout.line",
            name=snapshot.name,
            namespace=snapshot.namespace,
            revision=revision,
            updated=snapshot.updated,
            desired=snapshot.desired,
            ready=snapshot.ready,
            available=snapshot.available,
        )
    )
    if snapshot.old_replicas:
        line.append(t(lang, "rollout.old", count=snapshot.old_replicas))
    if snapshot.message:
        line.append(f" — {rollout_message(snapshot.message, lang)}", style="dim")
    for problem in snapshot.failing_pods[:3]:
        pod = t(lang, "rollout.pod", pod=problem.pod, container=problem.container, reason=problem.reason)
        line.append(f"\n    {pod}", style="red")
        if problem.restarts:
            line.append(t(lang, "rollout.restarts", count=problem.restarts), style="red")
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
                Text(t(lang, "rollout.following", name=target.name), style="dim"),
                console=console,
                transient=False,
                refresh_per_second=8,
            ) as live:
                async for snapshot in pipeline.follow_rollout(target):
                    live.update(snapshot_line(snapshot, lang))
                    last = snapshot
        else:
            async for snapshot in pipeline.follow_rollout(target):
                console.print(snapshot_line(snapshot, lang))
                last = snapshot
    except KlepaasError as exc:  # the command itself succeeded; say why we stopped watching
        words = error_words(exc, lang)
        said = f"{words.message} — {words.hint}" if words.hint else words.message
        console.print(Text(t(lang, "console.follow_failed", error=said), style="red"))
        return False
    return last is not None and last.done
