"""manifest.yml asks Slack for exactly what the bot listens to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from klepaas.handlers.slack.commands import SLASH_COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_manifest_turns_on_socket_mode_interactivity_and_the_home_tab() -> None:
    manifest = _manifest()

    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_the_manifest_declares_the_slash_command_with_a_usage_hint() -> None:
    [command] = _manifest()["features"]["slash_commands"]

    assert command["command"] == SLASH_COMMAND
    assert "help" in command["usage_hint"]


def test_the_manifest_subscribes_to_the_events_the_bot_answers_with_the_scopes_they_need() -> None:
    manifest = _manifest()
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])

    assert events == {"app_mention", "message.im", "app_home_opened"}
    assert {"app_mentions:read", "im:history", "commands", "chat:write", "files:write"} <= scopes
