"""`/klepaas <structured command or free text>`: ack, then answer in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from klepaas.handlers.slack import flow
from klepaas.handlers.slack.dedup import delivery_key
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.intake import Intake
from klepaas.handlers.slack.translate import from_slash_command

SLASH_COMMAND = "/klepaas"


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.command(SLASH_COMMAND)
    async def klepaas_command(ack: AsyncAck, body: dict[str, Any], command: dict[str, Any]) -> None:
        await ack()
        key = delivery_key(body)
        if deps.dedup.seen_in_memory(key):
            return
        where, who, text = from_slash_command(command)
        asked = f"{SLASH_COMMAND} {text}".rstrip()
        intake = Intake(deps, where, who, key=key, text=text)
        deps.spawn(
            flow.handle_text(deps, where, who, text, key=key, asked_by=who.id, asked=asked, intake=intake),
            where,
            name="slash command",
            admission=intake,
        )
