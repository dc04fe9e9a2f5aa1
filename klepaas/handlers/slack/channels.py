"""`channel=#deploys` typed in a slash command (Slack sends it as plain text) becomes the channel's
id: projects, tokens and bindings keep ids, which `chat.update` and channel bindings need and which
do not change when a channel is renamed. A name Slack does not know is left as typed, for the
command to judge."""

from __future__ import annotations

import re

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.logging import get_logger

log = get_logger(__name__)

# Only where a channel is an argument: `channel=#name` and `--channel #name`.
_CHANNEL_ARG = re.compile(r"(?P<key>\bchannel=|--channel\s+)#(?P<name>[a-z0-9][a-z0-9._-]{0,79})(?![\w.-])")
_MAX_PAGES = 20


async def resolve_channel_names(client: AsyncWebClient, text: str) -> str:
    names = {m.group("name") for m in _CHANNEL_ARG.finditer(text)}
    if not names:
        return text
    ids = await _channel_ids(client, names)
    return _CHANNEL_ARG.sub(lambda m: m.group("key") + ids.get(m.group("name"), "#" + m.group("name")), text)


async def _channel_ids(client: AsyncWebClient, names: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    cursor: str | None = None
    try:
        for _ in range(_MAX_PAGES):
            page = await client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
            )
            for channel in page.get("channels") or []:
                if channel.get("name") in names:
                    found[channel["name"]] = channel["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None or len(found) == len(names):
                break
    except SlackApiError as exc:  # e.g. missing_scope (channels:read): the names stay as typed
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        log.warning("could not look up channel names", error=data.get("error", exc.response.status_code))
    return found
