"""Conversation context stores: the database (SQLite, PostgreSQL) and Redis, with their expiry."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from klepaas.config import StorageSettings
from klepaas.errors import Unavailable
from klepaas.storage import Storage
from klepaas.storage.conversations import (
    MAX_KEY_LENGTH,
    DatabaseConversations,
    RedisConversations,
    open_conversations,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
TTL = 1800.0
PLAN = {"command": "status", "args": {"name": "nginx"}, "source": "rules", "lang": "ko",
        "namespace": "default", "at": "2025-01-06T00:00:00+00:00"}
SCALE = {"command": "scale", "args": {"name": "nginx", "replicas": 3}, "source": "context", "lang": "ko",
         "namespace": "default", "at": "2025-01-06T00:01:00+00:00"}


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def storage(database_url: str) -> Iterator[Storage]:
    opened = Storage.open(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(storage: Storage, clock: FakeClock) -> DatabaseConversations:
    return DatabaseConversations(storage.engine, TTL, clock=clock)


# -- the database ------------------------------------------------------------------------------------


async def test_a_plan_put_in_a_conversation_comes_back_and_stays_out_of_others(
    db: DatabaseConversations,
) -> None:
    await db.put("slack:T1:C1:1.000100", PLAN)

    assert await db.get("slack:T1:C1:1.000100") == PLAN
    assert await db.get("slack:T1:C1:2.000200") is None


async def test_a_later_plan_replaces_the_earlier_one_and_restarts_its_time(
    db: DatabaseConversations, clock: FakeClock
) -> None:
    await db.put("console:me:1", PLAN)
    clock.now += TTL - 10
    await db.put("console:me:1", SCALE)
    clock.now += TTL - 10  # past the first plan's expiry, within the second's

    assert await db.get("console:me:1") == SCALE
    assert db.count() == 1


async def test_a_conversation_is_forgotten_once_its_time_is_up(
    db: DatabaseConversations, clock: FakeClock
) -> None:
    await db.put("console:me:1", PLAN)
    clock.now += TTL - 1
    kept = await db.get("console:me:1")
    clock.now += 1

    assert kept == PLAN
    assert await db.get("console:me:1") is None


async def test_a_write_prunes_the_expired_rows_of_every_conversation(
    storage: Storage, clock: FakeClock
) -> None:
    db = DatabaseConversations(storage.engine, TTL, clock=clock, prune_every=60)
    for thread in range(3):
        await db.put(f"slack:T1:C1:{thread}", PLAN)
    clock.now += TTL + 1
    await db.put("slack:T1:C1:new", SCALE)

    assert db.count() == 1
    assert await db.get("slack:T1:C1:new") == SCALE


async def test_very_long_keys_are_kept_apart_even_when_they_share_the_first_300_characters(
    db: DatabaseConversations,
) -> None:
    stem = "slack:T1:C1:" + "x" * MAX_KEY_LENGTH
    await db.put(stem + "a", PLAN)
    await db.put(stem + "b", SCALE)

    assert (await db.get(stem + "a"), await db.get(stem + "b")) == (PLAN, SCALE)


async def test_concurrent_writes_to_one_conversation_all_succeed_and_one_is_kept(
    db: DatabaseConversations,
) -> None:
    plans = [{**SCALE, "args": {"name": "nginx", "replicas": n}} for n in range(1, 6)]

    await asyncio.gather(*(db.put("slack:T1:C1:busy", plan) for plan in plans))

    assert await db.get("slack:T1:C1:busy") in plans
    assert db.count() == 1


async def test_a_database_that_is_gone_raises_unavailable(tmp_path: object) -> None:
    storage = Storage.open(f"sqlite:///{tmp_path}/gone.db", run_migrations=False)  # no table
    try:
        db = DatabaseConversations(storage.engine, TTL)
        with pytest.raises(Unavailable):
            await db.get("console:me:1")
        with pytest.raises(Unavailable):
            await db.put("console:me:1", PLAN)
    finally:
        storage.close()


# -- Redis ---------------------------------------------------------------------------------------


@dataclass
class RedisUnderTest:
    client: Redis
    prefix: str
    stores: list[RedisConversations] = field(default_factory=list)

    def store(self, ttl: float = TTL) -> RedisConversations:
        store = RedisConversations(REDIS_URL, ttl, prefix=self.prefix)
        self.stores.append(store)
        return store


@pytest.fixture
async def redis() -> AsyncIterator[RedisUnderTest]:
    """Redis at 127.0.0.1:6379 (skipped when it does not answer); keys under a prefix of this test."""
    client: Redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable ({type(exc).__name__}: {exc})")
    under_test = RedisUnderTest(client, prefix=f"klepaas:test:{uuid.uuid4().hex[:12]}:")
    try:
        yield under_test
    finally:
        for store in under_test.stores:
            await store.close()
        keys = [key async for key in client.scan_iter(match=under_test.prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_redis_keeps_a_conversations_plan_under_its_prefix_with_an_expiry(
    redis: RedisUnderTest,
) -> None:
    store = redis.store()

    await store.put("slack:T1:C1:1.000100", PLAN)

    assert await store.get("slack:T1:C1:1.000100") == PLAN
    assert await store.get("slack:T1:C1:2.000200") is None
    ttl = await redis.client.ttl(redis.prefix + "slack:T1:C1:1.000100")
    assert 0 < ttl <= TTL


async def test_redis_replaces_a_conversations_plan_with_the_later_one(redis: RedisUnderTest) -> None:
    store = redis.store()

    await store.put("console:me:1", PLAN)
    await store.put("console:me:1", SCALE)

    assert await store.get("console:me:1") == SCALE


async def test_redis_forgets_a_conversation_when_its_expiry_passes(redis: RedisUnderTest) -> None:
    store = redis.store(ttl=1)
    await store.put("console:me:1", PLAN)
    assert await store.get("console:me:1") == PLAN

    deadline = time.monotonic() + 15
    while await store.get("console:me:1") is not None:
        assert time.monotonic() < deadline, "the entry outlived its 1 s expiry by far"
        await asyncio.sleep(0.1)


async def test_an_unreadable_redis_value_counts_as_no_context(redis: RedisUnderTest) -> None:
    store = redis.store()
    await redis.client.set(redis.prefix + "console:me:1", b"\xff not json", ex=60)

    assert await store.get("console:me:1") is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_redis_that_is_down_raises_unavailable_at_once() -> None:
    store = RedisConversations(f"redis://127.0.0.1:{_closed_port()}/0", TTL)
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable, match="Redis is not available"):
            await store.get("console:me:1")
        with pytest.raises(Unavailable, match="Redis is not available"):
            await store.put("console:me:1", PLAN)
    finally:
        await store.close()
    assert time.monotonic() - started < 10  # no multi-second retry backoff per call


# -- choosing the store --------------------------------------------------------------------------


async def test_redis_is_used_when_redis_url_is_set_else_the_database(tmp_path: object) -> None:
    storage = Storage.open(f"sqlite:///{tmp_path}/choice.db")
    try:
        chosen_db = open_conversations(StorageSettings(KLEPAAS_CONVERSATION_TTL=60), storage.engine)
        chosen_redis = open_conversations(StorageSettings(REDIS_URL=REDIS_URL), storage.engine)
        try:
            assert isinstance(chosen_db, DatabaseConversations)
            assert isinstance(chosen_redis, RedisConversations)
            assert StorageSettings().conversation_ttl_seconds == 1800
        finally:
            await chosen_db.close()
            await chosen_redis.close()
    finally:
        storage.close()
