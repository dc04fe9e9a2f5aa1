"""Where a conversation's replies go, and posting them: messages, edits, ephemerals, files.

Replies go to the channel (in the thread when there is one). For a slash command in a channel the
bot cannot post to, the command's `response_url` is the fallback. Logs too long for a message go
up as a file in the thread (`files.getUploadURLExternal` + `files.completeUploadExternal`), the
message keeping their newest lines.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from klepaas.commands.result import Code, Context, Fields, Image, Result, Table
from klepaas.handlers.slack.blocks import build_message
from klepaas.llm.plan import Lang
from klepaas.templates.render import MAX_MESSAGE_BLOCKS, clip_tail

# A code block longer than this goes up as a file; the message shows its last lines.
CODE_INLINE_LIMIT = 2800
CODE_TAIL_CHARS = 2000
# Errors that mean "the bot may not post here" (a slash command in a channel it has not joined).
_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


@dataclass(frozen=True)
class Where:
    """A conversation: the channel, the person, their language, the thread replies go to."""

    channel: str
    user: str
    lang: Lang = "en"
    thread_ts: str | None = None
    response_url: str | None = None
    workspace: str | None = None

    def in_thread(self, ts: str | None) -> Where:
        return replace(self, thread_ts=self.thread_ts or ts)

    def speaking(self, lang: Lang) -> Where:
        return replace(self, lang=lang)


@dataclass(frozen=True)
class FileToUpload:
    content: str
    filename: str
    title: str


# The Web API client of the Slack request being answered: Bolt's per-request client, carrying the
# token of the request's own workspace (multi-workspace installs). Set by a Bolt middleware in each
# request's task; work spawned from the listener inherits it (asyncio tasks copy the context).
_request_client: ContextVar[AsyncWebClient | None] = ContextVar("klepaas_slack_client", default=None)


def answer_with(client: AsyncWebClient) -> Token[AsyncWebClient | None]:
    """Make `client` the one replies use, in this context and the tasks it starts."""
    return _request_client.set(client)


# (channel, workspace if known) -> the client with the token of the workspace owning the channel
# (`klepaas.bot.workspaces.WorkspaceClients`, set when workspaces may install the app).
WorkspaceClient = Callable[[str, str | None], Awaitable[AsyncWebClient]]


class Replier:
    def __init__(self, client: AsyncWebClient, workspaces: WorkspaceClient | None = None) -> None:
        self._default = client
        self.workspaces = workspaces

    @property
    def client(self) -> AsyncWebClient:
        """The request's workspace client while answering a Slack request, else the default one
        (SLACK_BOT_TOKEN). Posts go through `client_for`, which also knows other workspaces."""
        return _request_client.get() or self._default

    async def client_for(self, channel: str, workspace: str | None = None) -> AsyncWebClient:
        """The client to post in `channel` with: the request's own while answering a Slack request;
        for work no request started (expiry sweeps, alerts, GitHub deploys) the client of the
        workspace owning the channel, SLACK_BOT_TOKEN's with a single workspace."""
        request = _request_client.get()
        if request is not None:
            return request
        if self.workspaces is None:
            return self._default
        return await self.workspaces(channel, workspace)

    async def post(self, where: Where, message: dict[str, Any]) -> str | None:
        """Post in the channel (thread); returns the message ts, None if it went by response_url."""
        client = await self.client_for(where.channel, where.workspace)
        try:
            response = await client.chat_postMessage(
                channel=where.channel,
                thread_ts=where.thread_ts,
                text=message["text"],
                blocks=message["blocks"],
            )
        except SlackApiError as exc:
            if where.response_url is None or exc.response.get("error") not in _CANNOT_POST:
                raise
            await self._respond(where.response_url, message, response_type="in_channel")
            return None
        return str(response["ts"])

    async def update(
        self, channel: str, ts: str, message: dict[str, Any], *, workspace: str | None = None
    ) -> None:
        client = await self.client_for(channel, workspace)
        await client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])

    async def ephemeral(self, where: Where, message: dict[str, Any]) -> None:
        client = await self.client_for(where.channel, where.workspace)
        try:
            await client.chat_postEphemeral(
                channel=where.channel,
                user=where.user,
                thread_ts=where.thread_ts,
                text=message["text"],
                blocks=message["blocks"],
            )
        except SlackApiError as exc:
            if where.response_url is None or exc.response.get("error") not in _CANNOT_POST:
                raise
            await self._respond(where.response_url, message, response_type="ephemeral")

    async def error(self, where: Where, message: str, hint: str | None = None) -> None:
        await self.ephemeral(where, build_message("error", message=message, hint=hint, lang=where.lang))

    async def result(
        self, where: Where, result: Result, *, asked_by: str | None = None, asked: str | None = None
    ) -> str | None:
        """Post a Result (long logs as files in its thread); returns the message ts.

        Its images (chart PNGs in the temp dir) are deleted once uploaded, and also when the post
        or an upload fails: Slack keeps the uploaded copy, nothing else reads the file."""
        images = [block for block in result.blocks if isinstance(block, Image)]
        try:
            shown, files = split_long_code(result, where.lang)
            shown = fit_result(shown, where.lang)
            message = build_message("result", result=shown, asked_by=asked_by, asked=asked, lang=where.lang)
            ts = await self.post(where, message)
            client = await self.client_for(where.channel, where.workspace)
            for file in files:
                await client.files_upload_v2(
                    channel=where.channel,
                    thread_ts=where.thread_ts or ts,
                    content=file.content,
                    filename=file.filename,
                    title=file.title,
                )
            for image in images:
                await client.files_upload_v2(
                    channel=where.channel,
                    thread_ts=where.thread_ts or ts,
                    file=image.path,
                    filename=Path(image.path).name,
                    title=image.title,
                    alt_txt=image.alt or image.title,
                )
            return ts
        finally:
            for image in images:
                with contextlib.suppress(FileNotFoundError):
                    Path(image.path).unlink()

    async def _respond(self, url: str, message: dict[str, Any], *, response_type: str) -> None:
        webhook = AsyncWebhookClient(url)
        await webhook.send(text=message["text"], blocks=message["blocks"], response_type=response_type)


def split_long_code(result: Result, lang: Lang) -> tuple[Result, list[FileToUpload]]:
    """Code blocks too long for a message become a file plus their newest lines and a note."""
    blocks: list[Any] = []
    files: list[FileToUpload] = []
    for block in result.blocks:
        if isinstance(block, Code) and len(block.text) > CODE_INLINE_LIMIT:
            lines = block.text.count("\n") + 1
            title = block.title or result.command
            files.append(FileToUpload(block.text, _filename(title, block.language), title))
            blocks.append(block.model_copy(update={"text": clip_tail(block.text, CODE_TAIL_CHARS)}))
            note = (
                f"전체 {lines}줄은 스레드에 파일로 올렸습니다."
                if lang == "ko"
                else f"All {lines} lines are attached as a file in the thread."
            )
            blocks.append(Context(text=note))
        else:
            blocks.append(block)
    return result.model_copy(update={"blocks": blocks}), files


def _filename(title: str, language: str | None) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in title).strip("-") or "output"
    return f"{stem[:60]}.{'log' if language in (None, 'text', 'log') else language}"


def _cost(block: Any) -> int:
    """How many Slack blocks a Result block becomes (see result.json.j2)."""
    if isinstance(block, Fields):
        return max(1, math.ceil(len(block.items) / 10))
    if isinstance(block, Table):
        return (1 if block.title else 0) + 3 + 1
    return 1


def fit_result(result: Result, lang: Lang, limit: int = MAX_MESSAGE_BLOCKS - 2) -> Result:
    """Keep the blocks that fit Slack's 50; say how many more there were instead of failing."""
    used, kept = 0, []
    for block in result.blocks:
        cost = _cost(block)
        if used + cost > limit - 1:
            break
        kept.append(block)
        used += cost
    more = len(result.blocks) - len(kept)
    if not more:
        return result
    note = f"그 외 {more}개 항목은 생략했습니다." if lang == "ko" else f"and {more} more not shown"
    return result.model_copy(update={"blocks": [*kept, Context(text=note)]})
