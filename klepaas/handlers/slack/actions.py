"""Buttons: Approve, Deny (on approval messages) and Rollback (on rollouts and deploys)."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from klepaas.handlers.slack import flow
from klepaas.handlers.slack.dedup import delivery_key
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.intake import Intake
from klepaas.handlers.slack.translate import from_block_action


def _clicked_ts(body: dict[str, Any]) -> str | None:
    """The ts of the message whose button was clicked."""
    ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    return str(ts) if ts else None


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action("approve")
    async def on_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if deps.dedup.seen_in_memory(delivery_key(body)):
            return
        where, who, action = from_block_action(body)
        work = flow.approve(deps, action["value"], who.id, _clicked_ts(body), where.channel)
        deps.spawn(work, where, name="approve")

    @app.action("deny")
    async def on_deny(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if deps.dedup.seen_in_memory(delivery_key(body)):
            return
        where, who, action = from_block_action(body)
        work = flow.deny(deps, action["value"], who.id, _clicked_ts(body), where.channel)
        deps.spawn(work, where, name="deny")

    @app.action("rollback")
    async def on_rollback(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if deps.dedup.seen_in_memory(delivery_key(body)):
            return
        where, who, action = from_block_action(body)
        intake = Intake(deps, where, who, key=delivery_key(body), command="rollback")
        work = flow.rollback(deps, where, who.id, action["value"], intake)
        deps.spawn(work, where, name="rollback", admission=intake)
