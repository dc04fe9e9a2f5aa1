"""Slack payloads to pipeline requests: who asked, where, what they typed."""

from __future__ import annotations

import re
from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.handlers.slack.replies import Where
from klepaas.llm.plan import Lang
from klepaas.llm.rules.lang import detect_lang

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# The mention(s) a message to the bot starts with ("@klepaas restart api"): addressing, not content.
_LEADING_MENTIONS = re.compile(r"^\s*(?:<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+")
# A channel link (<#C0123|deploys>) keeps the channel's id: names change and repeat, ids do not.
_CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:mailto:)?([^<>|]+)\|([^<>]+)>|<(https?://[^<>|]+)>")
HELP_WORDS = frozenset({"", "help", "?", "도움말", "도움", "명령어"})


def clean_text(text: str) -> str:
    """What the person typed: the mentions it starts with (the bot's) removed, the others kept as
    plain `<@U…>` (`grant @jane operator` names Jane; the planner ignores mentions), Slack links
    and escapes undone."""
    text = _LEADING_MENTIONS.sub(" ", text)
    text = _MENTION.sub(r"<@\1>", text)
    text = _CHANNEL_LINK.sub(r"\1", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(3) or "", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def is_help(text: str) -> bool:
    return text.strip().lower() in HELP_WORDS


def lang_of(text: str) -> Lang:
    return detect_lang(text)


def actor(
    user: str,
    *,
    workspace: str | None,
    channel: str | None,
    thread: str | None = None,
    name: str | None = None,
) -> Actor:
    return Actor(id=user, source="slack", name=name, workspace=workspace, channel=channel, thread=thread)


def conversation_key(who: Actor) -> str:
    """Where follow-ups share a context: a thread (a mention starts one); a direct message
    conversation; else (a slash command, which has no thread) the person in that channel."""
    base = f"slack:{who.workspace or '-'}:{who.channel or '-'}"
    if who.thread:
        return f"{base}:{who.thread}"
    if (who.channel or "").startswith("D"):  # a DM: the channel is the conversation with this person
        return base
    return f"{base}:{who.id}"


def text_request(text: str, who: Actor) -> Request:
    """Free text or a structured command; Korean text asks for Korean replies up front."""
    return Request(
        actor=who, text=text, lang="ko" if lang_of(text) == "ko" else None, conversation=conversation_key(who)
    )


def from_slash_command(command: dict[str, Any]) -> tuple[Where, Actor, str]:
    text = clean_text(command.get("text", ""))
    where = Where(
        channel=command["channel_id"],
        user=command["user_id"],
        lang=lang_of(text),
        response_url=command.get("response_url"),
        workspace=command.get("team_id"),
    )
    who = actor(
        command["user_id"],
        workspace=command.get("team_id"),
        channel=command["channel_id"],
        name=command.get("user_name"),
    )
    return where, who, text


def from_message_event(
    event: dict[str, Any], team: str | None, *, threaded: bool
) -> tuple[Where, Actor, str]:
    """An @mention (answered in its thread) or a DM (answered in the conversation)."""
    text = clean_text(event.get("text", ""))
    thread = event.get("thread_ts") or (event["ts"] if threaded else None)
    where = Where(
        channel=event["channel"], user=event["user"], lang=lang_of(text), thread_ts=thread, workspace=team
    )
    who = actor(event["user"], workspace=team, channel=event["channel"], thread=thread)
    return where, who, text


def from_block_action(body: dict[str, Any]) -> tuple[Where, Actor, dict[str, Any]]:
    """A button click: the clicker, the message's thread, the action."""
    user = body["user"]["id"]
    channel = body.get("channel", {}).get("id") or body["container"]["channel_id"]
    message = body.get("message") or {}
    thread = message.get("thread_ts") or message.get("ts") or body["container"].get("message_ts")
    team = (body.get("team") or {}).get("id")
    where = Where(
        channel=channel, user=user, thread_ts=thread, response_url=body.get("response_url"), workspace=team
    )
    who = actor(user, workspace=team, channel=channel, thread=thread)
    return where, who, body["actions"][0]
