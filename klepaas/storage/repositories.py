"""Repositories over the tables. Sync SQLAlchemy, each call one short transaction.

Callers on the event loop run them in a thread (`asyncio.to_thread`), except the per-request
writes on a SQLite file, which the pipeline first tries on the loop itself without waiting
(`AtOnceConnection`): handing 0.1 ms of local work to a thread costs more than the work.
They return plain frozen entries, never ORM objects, so nothing above storage sees sqlmodel.

The writes every request makes (`AuditLog.begin`, `AuditLog.finish`, `History.record`) are
SQLAlchemy Core statements built once, on a pooled connection: one INSERT ... RETURNING id, one
UPDATE ... RETURNING (the duration computed by the database from the row's own start), each its
own committed transaction. The ORM's unit of work (identity map, get + flush + refresh) cost
about three times as much per request and bought nothing here.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    DateTime,
    Engine,
    Insert,
    Integer,
    Row,
    Table,
    bindparam,
    cast,
    func,
    insert,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from klepaas.errors import Unavailable
from klepaas.logging import get_logger
from klepaas.storage.models import AuditOutcome, AuditRecord, CommandHistory, current_runner, utcnow
from klepaas.storage.pending import PendingWrites

log = get_logger(__name__)

_MAX_TEXT = 2000
_MAX_SUMMARY = 500


def _unavailable(exc: Exception) -> Unavailable:
    return Unavailable(
        f"The database is not available ({type(exc).__name__}).",
        hint="check DATABASE_URL and that the database is up; run `klepaas migrate` after upgrades",
    )


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    """A session whose database errors surface as `Unavailable` (no SQL, no parameters in the message)."""
    try:
        with Session(engine) as session:
            yield session
    except SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """A pooled connection in one transaction, committed on leaving; errors as in `_session`."""
    try:
        with engine.begin() as connection:
            yield connection
    except SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


@contextmanager
def _raw_transaction(engine: Engine) -> Iterator[PoolProxiedConnection]:
    """A pooled DBAPI connection in one transaction, committed on leaving (rolled back on an
    error) and returned to the pool: for the `_Direct` writes, without SQLAlchemy's Connection
    and Transaction objects around them. Database errors surface as `Unavailable`."""
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except SQLAlchemyError as exc:
        raise _unavailable(exc) from exc
    try:
        yield raw
        raw.commit()
    except BaseException as exc:
        with contextlib.suppress(Exception):
            raw.rollback()
        if isinstance(exc, dbapi_error):
            raise _unavailable(exc) from exc
        raise
    finally:
        raw.close()


class WouldWait(Exception):
    """The database is being written by another connection: `AtOnceConnection` would have to
    wait for it. Nothing was written; write it in a thread, where waiting blocks no one."""


# SQLite's result codes for "another connection holds the lock".
_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED


def _is_busy(exc: BaseException) -> bool:
    """SQLite's "locked", raised as is or already turned into ours (`_unavailable`) or SQLAlchemy's."""
    seen: BaseException | None = exc
    for _ in range(3):
        if seen is None:
            return False
        if getattr(seen, "sqlite_errorcode", None) in _SQLITE_BUSY_CODES:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def _pragmas(raw: PoolProxiedConnection, busy_timeout_ms: int, autocheckpoint_pages: int) -> None:
    cursor = raw.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint_pages)}")
    finally:
        cursor.close()


# Commits on the loop's connection after which a checkpoint is run in a thread (see AtOnceConnection).
CHECKPOINT_EVERY_COMMITS = 200  # about 1,000 pages of WAL, as SQLite's own wal_autocheckpoint


class AtOnceConnection:
    """The connection for `transaction_at_once`: a SQLite file's writes made on the caller's thread
    (the event loop's) and never waiting there. It is set up once, not around every write, and
    kept out of the pool:
    - `busy_timeout=0`: if another connection holds the write lock, SQLite answers at once and
      the transaction raises WouldWait (rolled back, nothing written);
    - `wal_autocheckpoint=0`: its commits run no checkpoint (the copy of the WAL into the
      database, with its fsync); the pool's connections run them as they commit in threads, and
      a thread runs one after every CHECKPOINT_EVERY_COMMITS of its own;
    - its page cache stays warm between writes, where a pooled connection taken in turn with the
      others would find its cache stale.
    What is left of a write is a local insert or update: about 0.1 ms, less than handing it to a
    thread. One caller at a time: a second one (another thread's loop) gets WouldWait too."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._lock = threading.Lock()
        self._raw: PoolProxiedConnection | None = None
        self._commits = 0
        self._checkpointing = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[PoolProxiedConnection]:
        if not self._lock.acquire(blocking=False):
            raise WouldWait()
        try:
            raw = self._connect()
            try:
                yield raw
                raw.commit()
            except BaseException as exc:
                try:
                    raw.rollback()
                except self._dbapi_error:
                    self._discard()
                if _is_busy(exc):
                    raise WouldWait() from exc
                if isinstance(exc, self._dbapi_error):
                    self._discard()  # a fresh connection for the next write
                    raise _unavailable(exc) from exc
                raise
            self._commits += 1
            if self._commits >= CHECKPOINT_EVERY_COMMITS:
                self._commits = 0
                self._checkpoint_in_a_thread()
        finally:
            self._lock.release()

    def _checkpoint_in_a_thread(self) -> None:
        """The pool's connections checkpoint as they commit; a long run of writes made only here
        would otherwise grow the WAL without bound. PASSIVE: it waits for no one."""
        if self._checkpointing.locked():
            return
        threading.Thread(target=self._checkpoint, name="klepaas-sqlite-checkpoint", daemon=True).start()

    def _checkpoint(self) -> None:
        with self._checkpointing:
            try:
                raw = self._engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.close()
                finally:
                    raw.close()
            except Exception as exc:  # the next one will try again; the data is safe in the WAL
                log.warning("sqlite checkpoint failed", error=str(exc))

    def _connect(self) -> PoolProxiedConnection:
        if self._raw is None:
            try:
                # The DBAPI connection itself, detached from the pool: it is ours until `close`.
                raw = self._engine.raw_connection()
                raw.detach()
                _pragmas(raw, 0, 0)
            except (SQLAlchemyError, self._dbapi_error) as exc:
                raise _unavailable(exc) from exc
            self._raw = raw
        return self._raw

    def _discard(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.close()

    def close(self) -> None:
        with self._lock:
            self._discard()


@contextmanager
def _joined(engine: Engine, connection: PoolProxiedConnection | None) -> Iterator[PoolProxiedConnection]:
    """The caller's transaction when it passes one (`Storage.transaction`), else one of our own."""
    if connection is not None:
        yield connection
        return
    with _raw_transaction(engine) as own:
        yield own


class _Direct:
    """A Core statement compiled once for the engine's dialect and run on the DBAPI cursor of a
    pooled connection: for the writes every request makes, SQLAlchemy's execution machinery (and
    its Connection and Transaction objects) cost most of their CPU, time the storage thread
    otherwise holds the GIL against the request it records. Values go through the column types' own bind
    processors, so what is stored reads back through SQLAlchemy exactly as before."""

    def __init__(self, statement: UpdateBase, engine: Engine) -> None:
        dialect = engine.dialect
        self._compiled = statement.compile(dialect=dialect)
        self._sql = self._compiled.string
        positions = self._compiled.positiontup if self._compiled.positional else None
        self._positions = list(positions) if positions is not None else None
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in self._compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error

    def execute(self, connection: PoolProxiedConnection, params: dict[str, Any]) -> Any:
        """Run with `params` in `connection`'s transaction (`_raw_transaction`); returns the DBAPI
        cursor (for RETURNING rows and the row count)."""
        values = self._compiled.construct_params(params)
        for name, process in self._processors.items():
            values[name] = process(values[name])
        arguments = [values[name] for name in self._positions] if self._positions is not None else values
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, arguments)
        except self._dbapi_error as exc:
            cursor.close()
            raise _unavailable(exc) from exc
        return cursor


def _returned_id(cursor: Any) -> int:
    try:
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


_AUDIT: Table = AuditRecord.__table__  # type: ignore[attr-defined]
_HISTORY: Table = CommandHistory.__table__  # type: ignore[attr-defined]


def _elapsed_ms(dialect: str, finished: ColumnElement[datetime]) -> ColumnElement[int]:
    """Milliseconds from the row's `started_at` to `finished`, never negative, in the database's
    own date arithmetic (so that `finish` is one UPDATE, without reading the row first)."""
    started = _AUDIT.c.started_at
    if dialect == "sqlite":  # datetimes are ISO text there; julianday() reads them, in days
        elapsed = (func.julianday(finished) - func.julianday(started)) * 86_400_000
        return func.max(0, cast(func.round(elapsed), Integer))
    elapsed = func.extract("epoch", finished - started) * 1000
    return func.greatest(0, cast(func.round(elapsed), Integer))


def _cut(value: str | None, limit: int = _MAX_TEXT) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; we only ever store UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _dumps(arguments: dict[str, Any] | None) -> str:
    return json.dumps(arguments or {}, sort_keys=True, default=str, ensure_ascii=False)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    started_at: datetime
    finished_at: datetime | None
    actor_id: str
    source: str
    workspace: str | None
    channel: str | None
    text: str | None
    command: str | None
    arguments: dict[str, Any]
    namespace: str | None
    cluster: str | None
    plan_source: str | None
    decision: str | None
    rule: str | None
    approver: str | None
    outcome: str
    duration_ms: int | None
    error: str | None

    @classmethod
    def of(cls, row: AuditRecord | Row[Any]) -> AuditEntry:
        assert row.id is not None
        return cls(
            id=row.id,
            started_at=_aware(row.started_at),
            finished_at=_aware(row.finished_at) if row.finished_at else None,
            actor_id=row.actor_id,
            source=row.source,
            workspace=row.workspace,
            channel=row.channel,
            text=row.text,
            command=row.command,
            arguments=json.loads(row.arguments),
            namespace=row.namespace,
            cluster=row.cluster,
            plan_source=row.plan_source,
            decision=row.decision,
            rule=row.rule,
            approver=row.approver,
            outcome=row.outcome,
            duration_ms=row.duration_ms,
            error=row.error,
        )


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    ran_at: datetime
    audit_id: int | None
    actor_id: str
    source: str
    workspace: str | None
    channel: str | None
    command: str
    arguments: dict[str, Any]
    namespace: str | None
    cluster: str | None
    summary: str

    @classmethod
    def of(cls, row: CommandHistory | Row[Any]) -> HistoryEntry:
        assert row.id is not None
        return cls(
            id=row.id,
            ran_at=_aware(row.ran_at),
            audit_id=row.audit_id,
            actor_id=row.actor_id,
            source=row.source,
            workspace=row.workspace,
            channel=row.channel,
            command=row.command,
            arguments=json.loads(row.arguments),
            namespace=row.namespace,
            cluster=row.cluster,
            summary=row.summary,
        )


def _insert_of(table: Table, columns: Iterable[str]) -> Insert:
    """An INSERT of `columns`, each from the parameter of its name."""
    return insert(table).values({name: bindparam(name) for name in columns})


def _finish_params(
    audit_id: int, outcome: AuditOutcome | str, approver: str | None, error: str | None
) -> dict[str, Any]:
    final = AuditOutcome(outcome)
    if final is AuditOutcome.PENDING:
        raise ValueError("an attempt is finished with a final outcome, not pending")
    return {
        "p_id": audit_id,
        "p_finished": utcnow(),
        "p_outcome": final.value,
        "p_error": _cut(error),
        "p_approver": approver,
    }


# The columns `AuditLog.begin` writes, and `History.record`.
_BEGUN = (
    "started_at",
    "actor_id",
    "source",
    "workspace",
    "channel",
    "text",
    "command",
    "arguments",
    "namespace",
    "cluster",
    "plan_source",
    "decision",
    "rule",
    "outcome",
    "runner",
)
_RECORDED = (
    "ran_at",
    "actor_id",
    "source",
    "command",
    "arguments",
    "audit_id",
    "workspace",
    "channel",
    "namespace",
    "cluster",
    "summary",
)

_FILLABLE = frozenset(
    {
        "actor_id",
        "source",
        "workspace",
        "channel",
        "text",
        "command",
        "arguments",
        "namespace",
        "cluster",
        "plan_source",
        "decision",
        "rule",
    }
)


class AuditLog:
    """Every attempt: `begin` before anything runs, `finish` once the outcome is known. Reads
    first wait for the process's pending writes (`PendingWrites`)."""

    def __init__(self, engine: Engine, pending: PendingWrites | None = None) -> None:
        self._engine = engine
        self._pending = pending or PendingWrites()
        self._insert = _Direct(_insert_of(_AUDIT, _BEGUN).returning(_AUDIT.c.id), engine)
        finished = bindparam("p_finished", type_=DateTime(timezone=True))
        self._complete = (
            update(_AUDIT)
            .where(_AUDIT.c.id == bindparam("p_id"))
            .values(
                finished_at=finished,
                outcome=bindparam("p_outcome"),
                error=bindparam("p_error"),
                approver=func.coalesce(bindparam("p_approver"), _AUDIT.c.approver),
                duration_ms=_elapsed_ms(engine.dialect.name, finished),
            )
        )
        self._finish = self._complete.returning(*_AUDIT.c)
        self._complete_direct = _Direct(self._complete, engine)
        # What the pipeline learnt of a row begun at acceptance; a field it does not know (None)
        # keeps what the row holds.
        self._fill = _Direct(
            update(_AUDIT)
            .where(_AUDIT.c.id == bindparam("p_id"))
            .where(_AUDIT.c.outcome == AuditOutcome.PENDING.value)
            .values({name: func.coalesce(bindparam(name), _AUDIT.c[name]) for name in sorted(_FILLABLE)}),
            engine,
        )

    def begin(
        self,
        *,
        actor_id: str,
        source: str,
        workspace: str | None = None,
        channel: str | None = None,
        text: str | None = None,
        command: str | None = None,
        arguments: dict[str, Any] | None = None,
        namespace: str | None = None,
        cluster: str | None = None,
        plan_source: str | None = None,
        decision: str | None = None,
        rule: str | None = None,
        connection: PoolProxiedConnection | None = None,
    ) -> int:
        """The attempt's row, pending; in the caller's transaction if it passes one."""
        row = {
            "started_at": utcnow(),
            "actor_id": actor_id,
            "source": source,
            "workspace": workspace,
            "channel": channel,
            "text": _cut(text),
            "command": command,
            "arguments": _dumps(arguments),
            "namespace": namespace,
            "cluster": cluster,
            "plan_source": plan_source,
            "decision": decision,
            "rule": rule,
            "outcome": AuditOutcome.PENDING.value,
            "runner": current_runner(),
        }
        with _joined(self._engine, connection) as joined:
            return _returned_id(self._insert.execute(joined, row))

    def fill(self, audit_id: int, *, connection: PoolProxiedConnection | None = None, **fields: Any) -> int:
        """Complete what a row begun at acceptance (`begin`) did not know yet: the same fields as
        `begin`, written over the row while it is still pending (a field left out or None keeps
        the row's value); in the caller's transaction if it passes one. Returns `audit_id`."""
        unknown = set(fields) - _FILLABLE
        if unknown:
            raise TypeError(f"not audit fields: {', '.join(sorted(unknown))}")
        values = {name: fields.get(name) for name in _FILLABLE}
        values["arguments"] = _dumps(fields["arguments"]) if fields.get("arguments") is not None else None
        values["text"] = _cut(fields.get("text"))
        values["p_id"] = audit_id
        with _joined(self._engine, connection) as joined:
            self._fill.execute(joined, values).close()
        return audit_id

    def finish(
        self,
        audit_id: int,
        *,
        outcome: AuditOutcome | str,
        approver: str | None = None,
        error: str | None = None,
    ) -> AuditEntry:
        """Record the attempt's outcome; returns the completed row."""
        with _transaction(self._engine) as connection:
            row = connection.execute(self._finish, _finish_params(audit_id, outcome, approver, error)).first()
        if row is None:
            raise KeyError(audit_id)
        return AuditEntry.of(row)

    def complete(
        self,
        audit_id: int,
        *,
        outcome: AuditOutcome | str,
        approver: str | None = None,
        error: str | None = None,
        connection: PoolProxiedConnection | None = None,
    ) -> None:
        """`finish` without reading the row back, in the caller's transaction if it passes one:
        what every request does, with its history and deployment rows."""
        with _joined(self._engine, connection) as joined:
            cursor = self._complete_direct.execute(joined, _finish_params(audit_id, outcome, approver, error))
            updated = cursor.rowcount
            cursor.close()
        if updated == 0:
            raise KeyError(audit_id)

    def get(self, audit_id: int) -> AuditEntry | None:
        self._pending.wait()
        with _session(self._engine) as session:
            row = session.get(AuditRecord, audit_id)
            return AuditEntry.of(row) if row is not None else None

    def recent(self, n: int = 20) -> list[AuditEntry]:
        """The newest `n` attempts, newest first."""
        self._pending.wait()
        with _session(self._engine) as session:
            rows = session.exec(select(AuditRecord).order_by(col(AuditRecord.id).desc()).limit(n)).all()
            return [AuditEntry.of(row) for row in rows]

    def mark_interrupted(self, started_before: datetime) -> int:
        """Attempts still pending that started before `started_before` will never finish: say so."""
        with _session(self._engine) as session:
            statement = (
                update(AuditRecord)
                .where(col(AuditRecord.outcome) == AuditOutcome.PENDING.value)
                .where(col(AuditRecord.started_at) < started_before)
                .values(outcome=AuditOutcome.INTERRUPTED.value, finished_at=utcnow())
            )
            result = session.execute(statement)
            count = result.rowcount if isinstance(result, CursorResult) else 0
            session.commit()
            return int(count or 0)


class History:
    """What ran successfully. Reads first wait for the process's pending writes."""

    def __init__(self, engine: Engine, pending: PendingWrites | None = None) -> None:
        self._engine = engine
        self._pending = pending or PendingWrites()
        self._insert = _Direct(_insert_of(_HISTORY, _RECORDED).returning(_HISTORY.c.id), engine)

    def record(
        self,
        *,
        actor_id: str,
        source: str,
        command: str,
        arguments: dict[str, Any] | None = None,
        audit_id: int | None = None,
        workspace: str | None = None,
        channel: str | None = None,
        namespace: str | None = None,
        cluster: str | None = None,
        summary: str = "",
        connection: PoolProxiedConnection | None = None,
    ) -> int:
        row = {
            "ran_at": utcnow(),
            "actor_id": actor_id,
            "source": source,
            "command": command,
            "arguments": _dumps(arguments),
            "audit_id": audit_id,
            "workspace": workspace,
            "channel": channel,
            "namespace": namespace,
            "cluster": cluster,
            "summary": _cut(summary, _MAX_SUMMARY) or "",
        }
        with _joined(self._engine, connection) as joined:
            return _returned_id(self._insert.execute(joined, row))

    def recent(
        self, n: int = 20, *, actor_id: str | None = None, channel: str | None = None
    ) -> list[HistoryEntry]:
        """The newest `n` commands that ran, newest first; optionally one person's or one channel's."""
        self._pending.wait()
        statement = select(CommandHistory)
        if actor_id is not None:
            statement = statement.where(col(CommandHistory.actor_id) == actor_id)
        if channel is not None:
            statement = statement.where(col(CommandHistory.channel) == channel)
        with _session(self._engine) as session:
            rows = session.exec(statement.order_by(col(CommandHistory.id).desc()).limit(n)).all()
            return [HistoryEntry.of(row) for row in rows]
