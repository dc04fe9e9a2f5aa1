"""`limit` / `continue` for list requests, with pages consistent as of the first page.

The first page takes a snapshot of the (already filtered) result. Stored objects are never mutated
in place (the store swaps in new dicts), so a list of references is a consistent snapshot. The
opaque continue token names the snapshot, the offset and the resourceVersion of the first page; a
token whose resourceVersion the store has compacted away, or whose snapshot was evicted, is 410
Expired, as etcd compaction makes it on a real cluster.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from klepaas.k8s.sandbox.store import Obj, StoreError

EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a "
    "new list without the continue parameter, or use the continue token in this response to retrieve "
    "the remainder of the results. Continuing with the provided token results in an inconsistent list - "
    "objects that were created, modified, or deleted between the time the first chunk was returned and "
    "now may show up in the list.")


@dataclass(frozen=True)
class Page:
    items: list[Obj]
    resource_version: int
    continue_token: str | None
    remaining: int | None


class Paginator:
    def __init__(self, max_snapshots: int = 64) -> None:
        self._snapshots: OrderedDict[int, list[Obj]] = OrderedDict()
        self._ids = itertools.count(1)
        self._max = max_snapshots

    def first(self, items: list[Obj], limit: int | None, resource_version: int) -> Page:
        if not limit or limit >= len(items):
            return Page(items, resource_version, None, None)
        snapshot_id = next(self._ids)
        self._snapshots[snapshot_id] = items
        while len(self._snapshots) > self._max:
            self._snapshots.popitem(last=False)
        return self._page(snapshot_id, items, 0, limit, resource_version)

    def next(self, token: str, limit: int | None, oldest_valid_rv: int) -> Page:
        snapshot_id, offset, rv = decode_token(token)
        items = self._snapshots.get(snapshot_id)
        if items is None or rv < oldest_valid_rv:
            self._snapshots.pop(snapshot_id, None)
            raise StoreError(410, "Expired", EXPIRED_MESSAGE)
        return self._page(snapshot_id, items, offset, limit, rv)

    def _page(self, snapshot_id: int, items: list[Obj], offset: int, limit: int | None, rv: int) -> Page:
        end = len(items) if not limit else offset + limit
        page = items[offset:end]
        if end >= len(items):
            self._snapshots.pop(snapshot_id, None)
            return Page(page, rv, None, None)
        return Page(page, rv, encode_token(snapshot_id, end, rv), len(items) - end)


def encode_token(snapshot_id: int, offset: int, rv: int) -> str:
    raw = orjson.dumps({"v": "sandbox/1", "id": snapshot_id, "start": offset, "rv": rv})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, int, int]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["id"]), int(data["start"]), int(data["rv"])
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StoreError(400, "BadRequest", f"continue key is not valid: {exc}") from exc
