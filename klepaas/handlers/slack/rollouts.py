"""Live rollouts: one message in the thread, edited as replicas become ready, ending in success or
failure. A failed rollout and every deploy carry a Rollback button (which asks for approval)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from klepaas.commands.localise import rollout_message
from klepaas.commands.pipeline import Pipeline, RolloutTarget
from klepaas.errors import UserError
from klepaas.handlers.slack.blocks import build_message
from klepaas.handlers.slack.replies import Replier, Where
from klepaas.k8s.rollout import RolloutSnapshot
from klepaas.llm.plan import Lang
from klepaas.templates.render import MAX_MESSAGE_BLOCKS


def rollback_value(target: RolloutTarget) -> str:
    """What the Rollback button carries back: the deployment, nothing else."""
    return json.dumps(
        {"name": target.name, "namespace": target.namespace, "cluster": target.cluster}, separators=(",", ":")
    )


def parse_rollback_value(value: str) -> tuple[dict[str, Any], str | None]:
    """Rollback arguments and cluster from a button value: a rollout message's own
    (`rollback_value`: name, namespace, cluster) or a command button's (`{"command": "rollback",
    "args": {...}}`, as on a failing app's status). Anything else is refused, as a click can be
    forged."""
    try:
        data = json.loads(value)
        command_args = data.get("args") if data.get("command") == "rollback" else None
        if isinstance(command_args, dict):
            data = {**command_args, "cluster": command_args.get("cluster", data.get("cluster"))}
        args = {"name": str(data["name"]), "namespace": str(data["namespace"])}
        cluster = data.get("cluster")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UserError("This Rollback button does not name an app to roll back.") from exc
    return args, str(cluster) if cluster else None


def _phase(snapshot: RolloutSnapshot) -> str:
    if snapshot.done:
        return "success"
    if snapshot.failed or snapshot.timed_out:
        return "failure"
    return "progressing"


def _message_text(snapshot: RolloutSnapshot, lang: Lang) -> str:
    lines = [rollout_message(snapshot.message, lang)] if snapshot.message else []
    for problem in snapshot.failing_pods[:5]:
        lines.append(f"{problem.pod}/{problem.container}: {problem.reason}")
    if snapshot.timed_out and not snapshot.message:
        lines.append(
            "시간 안에 끝나지 않았습니다." if lang == "ko" else "The rollout did not finish in time."
        )
    return "\n".join(lines)


# How long a stopping bot gives the last edit of a rollout message it stops following.
STOPPED_EDIT_SECONDS = 2.0


def _stopped_following(shown: dict[str, Any], target: RolloutTarget, lang: Lang) -> dict[str, Any]:
    """The progress message as last shown, saying the bot stopped following it and how to look."""
    look = f"`status {target.name} -n {target.namespace}`"
    note = (
        f":pause_button: 봇이 다시 시작하느라 이 롤아웃을 더는 따라가지 않습니다. 결과는 {look}로 확인하세요."
        if lang == "ko"
        else f":pause_button: The bot stopped following this rollout (it is restarting); "
        f"{look} shows how it ends."
    )
    blocks = [*shown.get("blocks", []), {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]
    return {**shown, "blocks": blocks[-MAX_MESSAGE_BLOCKS:]}


def progress_message(
    snapshot: RolloutSnapshot, command: str, target: RolloutTarget, lang: Lang
) -> dict[str, Any]:
    phase = _phase(snapshot)
    offer_rollback = phase == "failure" or (command == "deploy" and phase != "progressing")
    return build_message(
        "rollout_progress",
        command=command,
        name=snapshot.name,
        namespace=snapshot.namespace,
        phase=phase,
        ready=snapshot.ready,
        updated=snapshot.updated,
        desired=snapshot.desired,
        message=_message_text(snapshot, lang),
        rollback_value=rollback_value(target) if offer_rollback else None,
        lang=lang,
    )


async def follow_rollout(
    pipeline: Pipeline,
    replier: Replier,
    where: Where,
    target: RolloutTarget,
    command: str,
    *,
    min_interval: float = 1.0,
) -> bool | None:
    """Post the progress message in `where`'s thread and edit it until the rollout ends.

    Returns True on success, False on failure, None if the stream ended without a verdict."""
    ts: str | None = None
    first = True
    last_edit = 0.0
    unsent: dict[str, Any] | None = None
    shown: dict[str, Any] | None = None
    verdict: bool | None = None
    try:
        async for snapshot in pipeline.follow_rollout(target):
            message = progress_message(snapshot, command, target, where.lang)
            finished = snapshot.finished
            if message == shown and not finished:
                continue  # nothing a person would see changed
            shown = message
            if finished:
                verdict = bool(snapshot.done)
            if first:
                first = False
                ts = await replier.post(where, message)
                last_edit, unsent = time.monotonic(), None
            elif ts is None:  # the first went through response_url: nothing to edit, post the end
                if finished:
                    await replier.post(where, message)
            elif finished or time.monotonic() - last_edit >= min_interval:
                await replier.update(where.channel, ts, message, workspace=where.workspace)
                last_edit, unsent = time.monotonic(), None
            else:
                unsent = message
            if finished:
                break
    except asyncio.CancelledError:
        # The bot is stopping mid-rollout: the message must not stay "rolling out" forever.
        if ts is not None and shown is not None and verdict is None:
            stopped = _stopped_following(shown, target, where.lang)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    asyncio.shield(replier.update(where.channel, ts, stopped, workspace=where.workspace)),
                    STOPPED_EDIT_SECONDS,
                )
        raise
    if unsent is not None and ts is not None:
        await replier.update(where.channel, ts, unsent, workspace=where.workspace)
    return verdict
