"""Watch streams: chunked JSON lines `{"type": ..., "object": ...}` as the API server sends them.

- no `resourceVersion` (or "0"): synthetic ADDED events for the current state, then changes;
- `resourceVersion=N`: changes after N; too old is one ERROR event carrying a 410 Expired Status;
- label and field selectors filter events; an object that stops matching is sent as DELETED,
  one that starts matching as ADDED (as the watch cache does);
- `timeoutSeconds` ends the stream; `allowWatchBookmarks` adds BOOKMARK events;
  `sendInitialEvents=true` ends the initial ADDED events with the `k8s.io/initial-events-end` bookmark.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from klepaas.k8s.sandbox.selectors import FieldSelector, LabelSelector
from klepaas.k8s.sandbox.store import Key, Obj, ResourceType, Store, StoreError, WatchEvent
from klepaas.k8s.sandbox.wire import JSON, TABLE_CONTENT_TYPE, encode

Render = Callable[[Obj], Obj]  # event object -> what is sent (the object itself, or a Table)


@dataclass(frozen=True)
class WatchRequest:
    rt: ResourceType
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    resource_version: int | None  # None: start with the current state
    timeout: float | None
    bookmarks: bool
    send_initial_events: bool
    budget: int | None  # events to send before the stream is dropped (fault injection)
    table: bool


def _key(obj: Obj) -> Key:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


class WatchStream:
    def __init__(self, store: Store, req: WatchRequest, render: Render, bookmark_interval: float) -> None:
        self.store = store
        self.req = req
        self.render = render
        self.bookmark_interval = bookmark_interval
        self.visible: set[Key] = set()  # objects the client currently sees (selector tracking)
        self.sent = 0

    def _matches(self, obj: Obj) -> bool:
        return self.req.labels.matches_object(obj) and self.req.fields.matches(obj)

    def _translate(self, event_type: str, obj: Obj) -> str | None:
        """The event type the client should see, or None to skip (selector transitions)."""
        key, matches = _key(obj), self._matches(obj)
        if event_type == "DELETED":
            # The deleted object's last state decides, as on a real API server; `visible` covers
            # an object that left the selector earlier (it already got its DELETED then).
            if key in self.visible or matches:
                self.visible.discard(key)
                return "DELETED"
            return None
        if matches:
            seen = key in self.visible
            self.visible.add(key)
            if event_type == "MODIFIED" and not seen and self.visible_tracking:
                return "ADDED"
            return event_type
        if key in self.visible:
            self.visible.discard(key)
            return "DELETED"
        return None

    @property
    def visible_tracking(self) -> bool:
        return not (self.req.labels.empty and self.req.fields.empty)

    async def _send(self, response: web.StreamResponse, event_type: str, obj: Obj) -> None:
        await response.write(encode({"type": event_type, "object": obj}) + b"\n")

    def _bookmark(self, initial_end: bool = False) -> Obj:
        meta: Obj = {"resourceVersion": str(self.store.resource_version)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"kind": self.req.rt.kind, "apiVersion": self.req.rt.api_version, "metadata": meta}

    async def serve(self, request: web.Request) -> web.StreamResponse:
        req = self.req
        response = web.StreamResponse(headers={
            "Content-Type": TABLE_CONTENT_TYPE if req.table else JSON,
            "Cache-Control": "no-cache, private"})
        response.enable_chunked_encoding()
        try:
            watcher = self.store.watch(req.rt, req.namespace, req.resource_version)
        except StoreError as error:
            if error.code != 410:
                raise
            await response.prepare(request)
            await self._send(response, "ERROR", error.status())
            await response.write_eof()
            return response
        # Snapshot now, synchronously after registering: nothing can slip between the two.
        initial = [] if req.resource_version is not None else [
            obj for obj in self.store.list(req.rt, req.namespace) if self._matches(obj)]
        if self.visible_tracking:
            self.visible = {_key(o) for o in (initial or [o for o in self.store.list(req.rt, req.namespace)
                                                          if self._matches(o)])}
        try:
            await response.prepare(request)
            await self._stream(request, response, watcher.queue, initial)
        except (ConnectionResetError, asyncio.CancelledError):
            self.store.unwatch(watcher)
            raise
        self.store.unwatch(watcher)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    async def _stream(self, request: web.Request, response: web.StreamResponse,
                      queue: asyncio.Queue[WatchEvent | None], initial: list[Obj]) -> None:
        req = self.req
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.timeout if req.timeout else None
        for obj in initial:
            if self._out_of_budget():
                return
            await self._send(response, "ADDED", self.render(obj))
            self.sent += 1
        if req.send_initial_events and req.bookmarks:
            await self._send(response, "BOOKMARK", self._bookmark(initial_end=True))
        while not self._out_of_budget():
            wait = self.bookmark_interval
            if deadline is not None:
                wait = min(wait, deadline - loop.time())
                if wait <= 0:
                    return
            try:
                event = await asyncio.wait_for(queue.get(), timeout=wait)
            except TimeoutError:
                transport = request.transport
                if transport is None or transport.is_closing():
                    return
                if req.bookmarks:
                    await self._send(response, "BOOKMARK", self._bookmark())
                continue
            if event is None:  # the store closed every watch
                return
            event_type = self._translate(event.type, event.obj)
            if event_type is not None:
                await self._send(response, event_type, self.render(event.obj))
                self.sent += 1

    def _out_of_budget(self) -> bool:
        return self.req.budget is not None and self.sent >= self.req.budget
