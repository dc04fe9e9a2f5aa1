"""Conversation context: the last plan of each Slack thread or console session, for a while.

A follow-up ("3개로 늘려줘" after "nginx 상태") needs the plan before it. The pipeline keeps it
here under a conversation key (`slack:T…:C…:ts`, `console:…`) as a plain dict (command, args,
source, lang, namespace, at): storage knows nothing of the planner's types. An entry lives
`KLEPAAS_CONVERSATION_TTL` seconds (30 minutes by default) after its last write.

Two stores with one async API: Redis when `REDIS_URL` is set (SET with EX; Redis expires the
keys itself), else the database (`conversation` table; expired rows are ignored when read and
pruned now and then when written). Every failure becomes `Unavailable`: the caller decides that a
lost context must not fail a request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from sqlalchemy import Column, Engine, Float, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, select

from klepaas.config import StorageSettings
from klepaas.errors import Unavailable

REDIS_KEY_PREFIX = "klepaas:conv:"
# Longer keys are stored by digest: the column is this wide, and a cut key could meet another's.
MAX_KEY_LENGTH = 300
# How often (seconds, at most) a write also deletes the expired rows of every conversation.
PRUNE_EVERY_SECONDS = 60.0
# A request waits at most this long on Redis before going on without its context.
REDIS_TIMEOUT_SECONDS = 1.0

Clock = Callable[[], float]


class ConversationStore(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None:
        """The conversation's last plan, or None when there is none or it expired."""
        ...

    async def put(self, key: str, plan: dict[str, Any]) -> None:
        """Remember `plan` (a JSON-able dict) as the conversation's last plan, for the TTL from now."""
        ...

    async def close(self) -> None: ...


def stored_key(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _decode(raw: str | bytes | None) -> dict[str, Any] | None:
    """A stored value back to a dict; anything unreadable counts as no context."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# -- the database ----------------------------------------------------------------------------------


class ConversationRecord(SQLModel, table=True):
    __tablename__ = "conversation"

    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    plan: str  # JSON object
    expires_at: float = Field(sa_column=Column(Float, nullable=False, index=True))


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    try:
        with Session(engine) as session:
            yield session
    except SQLAlchemyError as exc:
        raise Unavailable(
            f"The database is not available ({type(exc).__name__}).",
            hint="check DATABASE_URL; run `klepaas migrate` after upgrades",
        ) from exc


class DatabaseConversations:
    """The `conversation` table; sync work runs in a thread. `clock` is injectable for tests."""

    def __init__(
        self,
        engine: Engine,
        ttl_seconds: float,
        *,
        clock: Clock = time.time,
        prune_every: float = PRUNE_EVERY_SECONDS,
    ) -> None:
        self._engine = engine
        self._ttl = ttl_seconds
        self._clock = clock
        self._prune_every = prune_every
        self._next_prune = 0.0

    async def get(self, key: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._get, stored_key(key), self._clock())

    async def put(self, key: str, plan: dict[str, Any]) -> None:
        value = json.dumps(plan, ensure_ascii=False)
        await asyncio.to_thread(self._put, stored_key(key), value, self._clock())

    async def close(self) -> None:
        """Nothing of its own to close: the engine belongs to `Storage`."""

    def count(self) -> int:
        """Rows in the table, expired or not (for tests and diagnostics)."""
        with _session(self._engine) as session:
            return len(session.exec(select(ConversationRecord)).all())

    def _get(self, key: str, now: float) -> dict[str, Any] | None:
        with _session(self._engine) as session:
            row = session.get(ConversationRecord, key)
            if row is None or row.expires_at <= now:
                return None
            return _decode(row.plan)

    def _put(self, key: str, value: str, now: float) -> None:
        expires_at = now + self._ttl
        with _session(self._engine) as session:
            row = session.get(ConversationRecord, key)
            if row is None:
                row = ConversationRecord(key=key, plan=value, expires_at=expires_at)
            else:
                row.plan, row.expires_at = value, expires_at
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # a concurrent request of this conversation inserted it first
                session.rollback()
                session.exec(
                    update(ConversationRecord)
                    .where(col(ConversationRecord.key) == key)
                    .values(plan=value, expires_at=expires_at)
                )
                session.commit()
            if now >= self._next_prune:
                self._next_prune = now + self._prune_every
                session.exec(delete(ConversationRecord).where(col(ConversationRecord.expires_at) <= now))
                session.commit()


# -- Redis -----------------------------------------------------------------------------------------


class RedisConversations:
    """One Redis key per conversation (`klepaas:conv:KEY`), written with SET … EX ttl."""

    def __init__(
        self,
        url: str,
        ttl_seconds: float,
        *,
        prefix: str = REDIS_KEY_PREFIX,
        timeout: float = REDIS_TIMEOUT_SECONDS,
    ) -> None:
        self._ttl = max(1, round(ttl_seconds))
        self._prefix = prefix
        # One quick retry (a pooled connection the server closed), never the client's default
        # backoff of several seconds: a request does not wait on a Redis that is down.
        self._client: Redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )

    def redis_key(self, key: str) -> str:
        return self._prefix + stored_key(key)

    async def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = await self._client.get(self.redis_key(key))
        except (RedisError, OSError) as exc:
            raise _redis_unavailable(exc) from exc
        return _decode(raw)

    async def put(self, key: str, plan: dict[str, Any]) -> None:
        value = json.dumps(plan, ensure_ascii=False)
        try:
            await self._client.set(self.redis_key(key), value, ex=self._ttl)
        except (RedisError, OSError) as exc:
            raise _redis_unavailable(exc) from exc

    async def close(self) -> None:
        await self._client.aclose()


def _redis_unavailable(exc: Exception) -> Unavailable:
    return Unavailable(f"Redis is not available ({type(exc).__name__}).", hint="check REDIS_URL")


def open_conversations(settings: StorageSettings, engine: Engine) -> ConversationStore:
    """Redis when `REDIS_URL` is set, else the database behind `engine`. Connects lazily."""
    ttl = settings.conversation_ttl_seconds
    if settings.redis_url:
        return RedisConversations(settings.redis_url, ttl)
    return DatabaseConversations(engine, ttl)
