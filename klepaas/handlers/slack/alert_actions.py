"""The buttons on alert messages: Restart, Rollback, Logs (each a request by whoever clicked,
through policy and approval like any other) and Silence 1h (mutes the group, said in its thread)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from klepaas.commands.pipeline import Request
from klepaas.errors import UserError
from klepaas.handlers.slack import flow
from klepaas.handlers.slack.dedup import delivery_key
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.replies import Where
from klepaas.handlers.slack.translate import actor, from_block_action
from klepaas.storage.alerts import AlertMessages

SILENCE_SECONDS = 3600.0
COMMANDS = {"alert_restart": "restart", "alert_rollback": "rollback", "alert_logs": "logs"}


def parse_value(value: str) -> dict[str, Any]:
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data.get("a") or not data.get("n"):
        raise UserError("This alert button is not valid any more.", hint="use the commands instead")
    return data


async def run_button(deps: SlackDeps, where: Where, clicker: str, action_id: str, value: str) -> None:
    target = parse_value(value)
    args: dict[str, Any] = {"name": target["a"], "namespace": target["n"]}
    if action_id == "alert_logs":
        args["lines"] = 50
    who = actor(clicker, workspace=where.workspace, channel=where.channel, thread=where.thread_ts)
    request = Request(actor=who, command=COMMANDS[action_id], args=args, cluster=target.get("c"))
    await flow.run_request(deps, where, request)


async def silence(deps: SlackDeps, where: Where, clicker: str, value: str) -> None:
    target = parse_value(value)
    key = str(target.get("k") or "")
    if not key:
        raise UserError("This alert cannot be silenced from here.")
    until = time.time() + SILENCE_SECONDS
    repo = AlertMessages(deps.services.storage.engine)
    await asyncio.to_thread(lambda: repo.silence(key, until=until, by=clicker))
    when = datetime.fromtimestamp(until, UTC).strftime("%H:%M UTC")
    await deps.replier.client.chat_postMessage(
        channel=where.channel, thread_ts=where.thread_ts,
        text=f":zzz: <@{clicker}> silenced this alert until {when}.",
    )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_command_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if deps.dedup.seen_in_memory(delivery_key(body)):
            return
        where, who, action = from_block_action(body)
        work = run_button(deps, where, who.id, action["action_id"], action["value"])
        deps.spawn(work, where, name=action["action_id"])

    for action_id in COMMANDS:
        app.action(action_id)(on_command_button)

    @app.action("alert_silence")
    async def on_silence(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if deps.dedup.seen_in_memory(delivery_key(body)):
            return
        where, who, action = from_block_action(body)
        deps.spawn(silence(deps, where, who.id, action["value"]), where, name="alert_silence")
