"""Slack front door: thin Bolt listeners registered by kind. Each acks first (in its first step),
translates the payload to a pipeline `Request`, and leaves the slow part to a spawned task."""

from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp

from klepaas.handlers.slack import actions, alert_actions, commands, events
from klepaas.handlers.slack.deps import SlackDeps, build_deps

__all__ = ["SlackDeps", "build_deps", "register"]


def register(app: AsyncApp, deps: SlackDeps) -> None:
    commands.register(app, deps)
    events.register(app, deps)
    actions.register(app, deps)
    alert_actions.register(app, deps)
