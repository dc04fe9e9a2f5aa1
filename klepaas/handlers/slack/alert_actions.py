"""The buttons on alert messages: Restart, Rollback, Logs and Silence 1h — each a request by
whoever clicked (`silence_alert` for Silence), through policy, approval and the audit like any
other. A silence that took hold is shown on the alert message: who, and until when."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from klepaas.commands.i18n import t
from klepaas.commands.pipeline import Request
from klepaas.errors import UserError
from klepaas.handlers.slack import flow
from klepaas.handlers.slack.dedup import delivery_key
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.intake import Intake
from klepaas.handlers.slack.replies import Where
from klepaas.handlers.slack.translate import actor, from_block_action
from klepaas.storage.alerts import AlertMessages

SILENCE_FOR = "1h"
SILENCED_BLOCK = "klepaas_silenced"
COMMANDS = {"alert_restart": "restart", "alert_rollback": "rollback", "alert_logs": "logs"}


def parse_value(value: str) -> dict[str, Any]:
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data.get("a") or not data.get("n"):
        raise UserError("This alert button is not valid any more.", hint="use the commands instead")
    return data


def button_request(where: Where, clicker: str, action_id: str, value: str) -> Request:
    """The request a button stands for, by whoever clicked."""
    target = parse_value(value)
    who = actor(clicker, workspace=where.workspace, channel=where.channel, thread=where.thread_ts)
    if action_id == "alert_silence":
        key = str(target.get("k") or "")
        if not key:
            raise UserError("This alert cannot be silenced from here.", hint="use `silence_alert APP`")
        args: dict[str, Any] = {"target": key, "namespace": target["n"], "duration": SILENCE_FOR}
        return Request(actor=who, command="silence_alert", args=args, cluster=target.get("c"))
    args = {"name": target["a"], "namespace": target["n"]}
    if action_id == "alert_logs":
        args["lines"] = 50
    return Request(actor=who, command=COMMANDS[action_id], args=args, cluster=target.get("c"))


async def run_button(
    deps: SlackDeps, where: Where, request: Request, intake: Intake, message: dict[str, Any]
) -> None:
    await flow.run_request(deps, where, request, intake=intake)
    if request.command == "silence_alert":
        await show_silence(deps, where.channel, str(request.args["target"]), message)


async def show_silence(deps: SlackDeps, channel: str, key: str, message: dict[str, Any]) -> None:
    """Say on the alert message who silenced it and until when (if a silence is in force), in the
    alert channel's language like the alert itself."""
    repo = AlertMessages(deps.services.storage.engine)
    silence = await asyncio.to_thread(repo.silence_of, key)
    ts = message.get("ts")
    if silence is None or not ts:
        return  # refused, or still waiting for an approval: nothing took hold
    until, by = silence
    when = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lang = deps.settings.alerts.language_for(channel)
    note = {
        "type": "context",
        "block_id": SILENCED_BLOCK,
        "elements": [{"type": "mrkdwn", "text": t(lang, "alert.silenced_by", user=by, until=when)}],
    }
    blocks = [b for b in message.get("blocks") or [] if b.get("block_id") != SILENCED_BLOCK]
    await deps.replier.client.chat_update(
        channel=channel, ts=str(ts), text=str(message.get("text") or "alert"), blocks=[*blocks, note]
    )


async def _refuse(error: UserError) -> None:
    raise error


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if deps.dedup.seen_in_memory(delivery_key(body)):
            return
        where, who, action = from_block_action(body)
        try:
            request = button_request(where, who.id, action["action_id"], action["value"])
        except UserError as exc:  # told by the one guard in tasks.py, like every other error
            deps.spawn(_refuse(exc), where, name=action["action_id"])
            return
        intake = Intake(deps, where, who, key=delivery_key(body), command=request.command, args=request.args)
        work = run_button(deps, where, request, intake, body.get("message") or {})
        deps.spawn(work, where, name=action["action_id"], admission=intake)

    for action_id in (*COMMANDS, "alert_silence"):
        app.action(action_id)(on_button)
