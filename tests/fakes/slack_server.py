"""A local Slack: the Web API methods the bot uses and a Socket Mode WebSocket, on 127.0.0.1:0.

The real slack_sdk / slack_bolt talk to it through `base_url` (the bot's `SLACK_API_URL`):

- `apps.connections.open` (app token) returns this server's own `ws://` URL; the socket sends
  `hello`, answers pings, pushes `slash_commands`, `events_api` and `interactive` envelopes and
  records every ack with its latency; it can drop the socket or ask for a refresh (`disconnect`).
- `users.info` (with `include_locale`, the locale set in `user_locales`),
- `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `views.publish`,
  `views.open` (trigger ids valid once, for 3 s), `files.getUploadURLExternal`, the upload URL,
  `files.completeUploadExternal` and every `response_url` record what the bot sent.

Tests wait on what was recorded with `wait_for(predicate, timeout)`: no sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

T = TypeVar("T")

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-1-fake-app-token"
TEAM_ID = "T0FAKE"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0FAKE"
TRIGGER_TTL_SECONDS = 3.0


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    sent_at: float
    acked_at: float | None = None
    ack_payload: dict[str, Any] | None = None

    @property
    def ack_latency(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at


@dataclass
class Message:
    """A message the bot posted; `updates` holds each version after `chat.update`, newest last."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> dict[str, Any]:
        return self.updates[-1] if self.updates else {"text": self.text, "blocks": self.blocks}


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


class FakeSlack:
    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[ApiCall] = []
        self.envelopes: dict[str, Envelope] = {}
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # bodies POSTed to response_url
        self.views: list[dict[str, Any]] = []  # views.publish / views.open
        self.uploads: dict[str, Upload] = {}
        self.connections_opened = 0
        self.hellos_sent = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._triggers: dict[str, float] = {}  # trigger id -> issued at (monotonic)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.accept_connections = True
        # Channels the bot is not a member of: chat.postMessage there fails with not_in_channel.
        self.closed_channels: set[str] = set()
        # Channels by name, for conversations.list (`channel=#deploys` looked up to its id).
        self.channels: dict[str, str] = {}
        # OAuth v2: the app's client id -> secret, and codes Slack's authorize page handed out
        # (code -> the installation oauth.v2.access answers, once).
        self.oauth_clients: dict[str, str] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        # Other workspaces the app is installed in: their bot token -> team id. Web API calls with
        # such a token are accepted and `auth.test` names that team.
        self.team_tokens: dict[str, str] = {}
        # Channels of a given workspace (channel -> team id): a call naming one with another
        # workspace's token fails with channel_not_found, as on Slack. Unlisted channels take any.
        self.channel_teams: dict[str, str] = {}
        # users.info: a user's Slack locale ("ko-KR"), told only when asked with include_locale.
        self.user_locales: dict[str, str] = {}

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # e.g. conversations.list
        app.router.add_get("/link", self._link)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{n}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.base}/api/"

    # -- waiting ------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:
        """Wait until `probe()` returns something truthy and return it; fail after `timeout` seconds."""

        async def _wait() -> T:
            async with self._changed:
                while True:
                    value = probe()
                    if value:
                        return value
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}") from None

    async def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until `count` hellos have been sent and a socket is open."""
        await self.wait_for(
            lambda: self.hellos_sent >= count and self._open_socket() is not None,
            timeout,
            f"{count} socket connection(s)",
        )

    async def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Envelope:
        return await self.wait_for(
            lambda: self.envelopes[envelope_id] if self.envelopes[envelope_id].acked_at else None,
            timeout,
            f"ack of {envelope_id}",
        )

    # -- what the bot sent --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """Messages the bot posted in a thread, oldest first."""
        found = [m for m in self.messages.values() if m.channel == channel and m.thread_ts == thread_ts]
        return sorted(found, key=lambda m: float(m.ts))

    def channel_messages(self, channel: str) -> list[Message]:
        return sorted((m for m in self.messages.values() if m.channel == channel), key=lambda m: float(m.ts))

    def ephemerals_for(self, user: str) -> list[dict[str, Any]]:
        return [e for e in self.ephemerals if e.get("user") == user]

    # -- pushing envelopes --------------------------------------------------------------------------

    def new_trigger_id(self) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:16]}"
        self._triggers[trigger] = time.monotonic()
        return trigger

    def new_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ids):06d}"

    async def send_envelope(self, type_: str, payload: dict[str, Any], **extra: Any) -> Envelope:
        ws = self._open_socket()
        if ws is None:
            raise AssertionError("no open Socket Mode connection to push to")
        envelope_id = str(uuid.uuid4())
        body = {"envelope_id": envelope_id, "type": type_, "payload": payload, **extra}
        envelope = Envelope(envelope_id, type_, payload, sent_at=time.perf_counter())
        self.envelopes[envelope_id] = envelope
        await ws.send_str(json.dumps(body))
        return envelope

    async def send_slash_command(
        self,
        text: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        command: str = "/klepaas",
        team: str = TEAM_ID,
    ) -> Envelope:
        response_id = next(self._ids)
        payload = {
            "token": "verification-token",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": f"{self.base}/response/{response_id}",
            "trigger_id": self.new_trigger_id(),
        }
        return await self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    async def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        team: str = TEAM_ID,
    ) -> Envelope:
        event = {"event_ts": event.get("ts") or self.new_ts(), **event}
        payload = {
            "token": "verification-token",
            "team_id": team,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex[:8]}",
        }
        return await self.send_envelope(
            "events_api",
            payload,
            accepts_response_payload=False,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )

    async def send_mention(
        self,
        text: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        thread_ts: str | None = None,
        event_id: str | None = None,
        team: str = TEAM_ID,
    ) -> tuple[Envelope, str]:
        """An @mention of the bot; returns the envelope and the mention's own ts."""
        ts = self.new_ts()
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER_ID}> {text}",
            "ts": ts,
            "channel": channel,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.send_event(event, event_id=event_id, team=team), ts

    async def send_dm(
        self, text: str, *, user: str = "U0ALICE", channel: str = "D0ALICE"
    ) -> tuple[Envelope, str]:
        ts = self.new_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
        }
        return await self.send_event(event), ts

    async def send_app_home_opened(self, *, user: str = "U0ALICE") -> Envelope:
        return await self.send_event(
            {"type": "app_home_opened", "user": user, "channel": f"D{user[1:]}", "tab": "home"}
        )

    async def send_block_action(
        self,
        message: Message,
        action_id: str,
        *,
        user: str = "U0BOB",
        value: str | None = None,
        stale: bool = False,
    ) -> Envelope:
        """A click on the button `action_id` of a message the bot posted: its current version, or with
        `stale` the version first posted (a client that has not seen the edits yet)."""
        current: dict[str, Any] = (
            {"text": message.text, "blocks": message.blocks} if stale else message.current
        )
        button, block_id = _find_button(current["blocks"], action_id)
        response_id = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "token": "verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.new_trigger_id(),
            "team": {"id": TEAM_ID, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": "general"},
            "message": {
                "type": "message",
                "user": BOT_USER_ID,
                "ts": message.ts,
                "bot_id": BOT_ID,
                "text": current["text"],
                "blocks": current["blocks"],
                **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
            },
            "state": {"values": {}},
            "response_url": f"{self.base}/response/{response_id}",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": button["text"],
                    "value": button.get("value", "") if value is None else value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return await self.send_envelope("interactive", payload, accepts_response_payload=False)

    async def request_refresh(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours."""
        ws = self._open_socket()
        assert ws is not None
        await ws.send_str(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}})
        )

    async def drop_socket(self) -> None:
        """Close every open socket from the server side, as a network failure or a deploy would."""
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"going away")

    # -- Socket Mode --------------------------------------------------------------------------------

    def _open_socket(self) -> web.WebSocketResponse | None:
        for ws in reversed(self._sockets):
            if not ws.closed:
                return ws
        return None

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len([s for s in self._sockets if not s.closed]),
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self.hellos_sent += 1
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_ack(json.loads(msg.data))
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    async def _on_ack(self, body: dict[str, Any]) -> None:
        envelope = self.envelopes.get(body.get("envelope_id", ""))
        if envelope is not None and envelope.acked_at is None:
            envelope.acked_at = time.perf_counter()
            envelope.ack_payload = body.get("payload")
            await self._notify()

    # -- Web API ------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.pop("token", None)
        self.calls.append(ApiCall(method, args, token))
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            body: dict[str, Any] = {"ok": False, "error": "unknown_method"}
        elif method == "apps.connections.open":
            body = handler(args) if token == self.app_token else {"ok": False, "error": "invalid_auth"}
        elif method == "oauth.v2.access":  # authenticated by the app's client id and secret
            body = handler(args, auth)
        elif token != self.bot_token and token not in self.team_tokens:
            body = {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        elif method == "auth.test":
            body = {**handler(args), "team_id": self.team_tokens.get(token or "", TEAM_ID)}
        elif not self._team_may_see(token, args.get("channel") or args.get("channel_id")):
            body = {"ok": False, "error": "channel_not_found"}
        else:
            body = handler(args)
        await self._notify()
        return web.json_response(body)

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.accept_connections:
            return {"ok": False, "error": "internal_error"}
        self.connections_opened += 1
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket={uuid.uuid4()}"}

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "klepaas",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.closed_channels:
            return {"ok": False, "error": "not_in_channel"}
        blocks = _json_arg(args.get("blocks")) or []
        ts = self.new_ts()
        message = Message(channel, ts, args.get("text", ""), blocks, args.get("thread_ts"))
        self.messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"type": "message", "text": message.text, "ts": ts, "bot_id": BOT_ID},
        }

    def _team_may_see(self, token: str | None, channel: Any) -> bool:
        owner = self.channel_teams.get(str(channel)) if channel else None
        return owner is None or owner == self.team_tokens.get(token or "", TEAM_ID)

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        team = self.channel_teams.get(channel, TEAM_ID)
        return {"ok": True, "channel": {"id": channel, "context_team_id": team}}

    def _m_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channels = [{"id": cid, "name": name} for name, cid in sorted(self.channels.items())]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def issue_oauth_code(self, installation: dict[str, Any]) -> str:
        """What Slack's authorize page does when someone clicks Allow: a one-time code."""
        code = f"code-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        self.oauth_codes[code] = installation
        return code

    def _m_oauth_v2_access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        if not client_id or self.oauth_clients.get(client_id) != client_secret:
            known = client_id in self.oauth_clients
            return {"ok": False, "error": "bad_client_secret" if known else "invalid_client_id"}
        installation = self.oauth_codes.pop(args.get("code", ""), None)
        if installation is None:
            return {"ok": False, "error": "invalid_code"}
        return {"ok": True, "token_type": "bot", **installation}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((args.get("channel", ""), args.get("ts", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.updates.append({"text": args.get("text", ""), "blocks": _json_arg(args.get("blocks")) or []})
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        self.ephemerals.append({**args, "blocks": _json_arg(args.get("blocks")) or []})
        return {"ok": True, "message_ts": self.new_ts()}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("user")
        if not user:
            return {"ok": False, "error": "user_not_found"}
        info: dict[str, Any] = {"id": user, "team_id": TEAM_ID, "name": str(user).lower()}
        if str(args.get("include_locale", "")).lower() in ("1", "true") and user in self.user_locales:
            info["locale"] = self.user_locales[user]
        return {"ok": True, "user": info}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _json_arg(args.get("view"))
        if not args.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        self.views.append({"method": "views.publish", "user_id": args["user_id"], "view": view})
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **view}}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = args.get("trigger_id", "")
        issued = self._triggers.pop(trigger, None)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if time.monotonic() - issued > TRIGGER_TTL_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        view = _json_arg(args.get("view"))
        self.views.append({"method": "views.open", "trigger_id": trigger, "view": view})
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **(view or {})}}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length is None:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = Upload(file_id, filename, int(length))
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json_arg(args.get("files")) or []
        done = []
        for entry in files:
            upload = self.uploads.get(entry.get("id", ""))
            if upload is None or upload.content is None:
                return {"ok": False, "error": "file_not_found"}
            upload.title = entry.get("title")
            upload.channel = args.get("channel_id")
            upload.thread_ts = args.get("thread_ts")
            upload.initial_comment = args.get("initial_comment")
            done.append({"id": upload.file_id, "title": upload.title, "name": upload.filename})
        return {"ok": True, "files": done}

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="no such upload")
        upload.content = await request.read()
        await self._notify()
        return web.Response(text=f"OK - {len(upload.content)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append({"n": request.match_info["n"], **body})
        await self._notify()
        return web.Response(text="ok")


def _json_arg(value: Any) -> Any:
    """Slack accepts structured arguments as JSON or as JSON-encoded strings (form posts)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _find_button(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return element, block.get("block_id", "b")
    raise AssertionError(f"no button {action_id!r} in the message")
