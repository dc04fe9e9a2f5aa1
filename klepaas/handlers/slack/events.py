"""Events: @mentions (answered in a thread), direct messages, the App Home tab.

Every listener acks first. Message events we do not answer (edits, bot messages, channel chatter)
reach the message listener too, which ignores them.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from klepaas.handlers.slack import flow, home
from klepaas.handlers.slack.dedup import delivery_key
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.intake import Intake
from klepaas.handlers.slack.replies import Where
from klepaas.handlers.slack.translate import from_message_event


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team_id")
    return str(team) if team else None


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_mention")
    async def on_mention(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        key = delivery_key(body)
        # Another bot (an integration mentioning us) is no person: it may not run commands.
        if deps.dedup.seen_in_memory(key) or not event.get("user") or event.get("bot_id"):
            return
        where, who, text = from_message_event(event, _team(body), threaded=True)
        intake = Intake(deps, where, who, key=key, text=text)
        work = flow.handle_text(deps, where, who, text, key=key, intake=intake)
        deps.spawn(work, where, name="mention", admission=intake)

    @app.event("message")
    async def on_message(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        # Bolt matches message events by type and subtype only: the channel type is ours to check.
        if event.get("channel_type") != "im":
            return  # channel chatter without a mention is not for us (mentions come as app_mention)
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, deletions, other bots: not a request
        key = delivery_key(body)
        if deps.dedup.seen_in_memory(key):
            return
        where, who, text = from_message_event(event, _team(body), threaded=False)
        intake = Intake(deps, where, who, key=key, text=text)
        work = flow.handle_text(deps, where, who, text, key=key, intake=intake)
        deps.spawn(work, where, name="direct message", admission=intake)

    @app.event("app_home_opened")
    async def on_home_opened(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        if event.get("tab", "home") != "home" or deps.dedup.seen_in_memory(delivery_key(body)):
            return
        user = event["user"]
        where = Where(channel=event.get("channel") or user, user=user, workspace=_team(body))
        deps.spawn(home.publish_home(deps, user), where, name="app home")
