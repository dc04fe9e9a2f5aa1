from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from klepaas.errors import ConfigError, Unavailable
from klepaas.storage import (
    AuditOutcome,
    Storage,
    head_revision,
    make_engine,
    migrate,
    normalize_url,
    redact_url,
)
from klepaas.storage.migrate import current_revision


def test_migrations_create_the_schema_at_the_head_revision(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"audit_record", "command_history", "alembic_version"} <= tables
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _table_of(change: object) -> str | None:
    for part in change if isinstance(change, list) else [change]:
        for item in part if isinstance(part, tuple) else (part,):
            table = getattr(item, "table", None)
            name = getattr(table, "name", None) or getattr(item, "name", None)
            if isinstance(name, str) and name in OUR_TABLES:
                return name
            if isinstance(item, str) and item in OUR_TABLES:
                return item
    return None


OUR_TABLES = ("audit_record", "command_history")


def test_the_migrations_match_the_audit_and_history_models(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        with storage.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert [change for change in diff if _table_of(change)] == []
    finally:
        storage.close()


def test_an_attempt_is_pending_when_begun_and_complete_when_finished(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        audit_id = storage.audit.begin(
            actor_id="U1",
            source="slack",
            workspace="T1",
            channel="C1",
            text="scale api 3 -n staging",
            command="scale",
            arguments={"name": "api", "replicas": 3, "namespace": "staging"},
            namespace="staging",
            plan_source="structured",
            decision="require_approval",
            rule="write-needs-approval",
        )
        pending = storage.audit.get(audit_id)
        assert pending is not None
        assert pending.outcome == "pending"
        assert pending.finished_at is None and pending.duration_ms is None

        done = storage.audit.finish(audit_id, outcome=AuditOutcome.SUCCESS, approver="U2")
        assert done.outcome == "success"
        assert done.approver == "U2"
        assert done.arguments == {"name": "api", "replicas": 3, "namespace": "staging"}
        assert done.finished_at is not None and done.finished_at >= done.started_at
        assert done.started_at.tzinfo is not None
        assert done.duration_ms is not None and done.duration_ms >= 0
        assert (done.actor_id, done.source, done.workspace, done.channel, done.command) == (
            "U1",
            "slack",
            "T1",
            "C1",
            "scale",
        )
        assert (done.plan_source, done.decision, done.rule, done.error) == (
            "structured",
            "require_approval",
            "write-needs-approval",
            None,
        )
    finally:
        storage.close()


def test_a_row_begun_at_acceptance_is_filled_in_with_what_was_learnt_and_keeps_the_rest(
    database_url: str,
) -> None:
    storage = Storage.open(database_url)
    try:
        audit_id = storage.audit.begin(
            actor_id="U1", source="slack", workspace="T1", channel="C1", text="api 3개로 늘려줘"
        )
        with storage.transaction() as connection:
            storage.audit.fill(
                audit_id, actor_id="U1", source="slack", command="scale",
                arguments={"name": "api", "replicas": 3}, namespace="staging", plan_source="rules",
                decision="require_approval", rule="write-needs-approval", connection=connection,
            )
        filled = storage.audit.get(audit_id)
        storage.audit.finish(audit_id, outcome=AuditOutcome.SUCCESS)
        late = storage.audit.fill(audit_id, actor_id="U1", source="slack", command="restart")
        after = storage.audit.get(audit_id)

        assert filled is not None and after is not None
        assert (filled.command, filled.arguments, filled.namespace, filled.rule) == (
            "scale", {"name": "api", "replicas": 3}, "staging", "write-needs-approval"
        )
        assert (filled.workspace, filled.channel, filled.text) == ("T1", "C1", "api 3개로 늘려줘")
        assert filled.outcome == "pending"
        assert late == audit_id and after.command == "scale", "a finished row was written over"
    finally:
        storage.close()


def test_an_attempt_completed_with_its_history_in_one_transaction_reads_back_whole(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        started = datetime.now(UTC)
        audit_id = storage.audit.begin(
            actor_id="U1", source="console", text="status nginx", command="status",
            arguments={"name": "nginx", "namespace": "default"}, namespace="default",
        )
        with storage.transaction() as connection:
            storage.audit.complete(audit_id, outcome="success", connection=connection)
            history_id = storage.history.record(
                actor_id="U1", source="console", command="status", arguments={"name": "nginx"},
                audit_id=audit_id, namespace="default", summary="nginx: 2/2 ready", connection=connection,
            )

        done = storage.audit.get(audit_id)
        assert done is not None and (done.outcome, done.approver, done.error) == ("success", None, None)
        assert done.arguments == {"name": "nginx", "namespace": "default"}
        assert done.finished_at is not None
        assert started - timedelta(seconds=1) <= done.started_at <= done.finished_at
        assert done.duration_ms is not None and 0 <= done.duration_ms < 5000
        (entry,) = storage.history.recent()
        assert (entry.id, entry.audit_id, entry.summary, entry.arguments) == (
            history_id, audit_id, "nginx: 2/2 ready", {"name": "nginx"}
        )
        assert abs(entry.ran_at - done.finished_at) < timedelta(seconds=1)
        with pytest.raises(KeyError):
            storage.audit.complete(audit_id + 1000, outcome="success")
    finally:
        storage.close()


def test_a_transaction_that_fails_keeps_none_of_its_writes(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        audit_id = storage.audit.begin(actor_id="U1", source="console", command="status")
        with pytest.raises(Unavailable), storage.transaction() as connection:
            storage.audit.complete(audit_id, outcome="success", connection=connection)
            connection.cursor().execute("DROP TABLE command_history")  # gone under its feet
            storage.history.record(actor_id="U1", source="console", command="status", connection=connection)
    finally:
        pending = storage.audit.get(audit_id)
        storage.close()
    assert pending is not None and pending.outcome == "pending"


def test_finishing_needs_a_final_outcome(sqlite_url: str) -> None:
    storage = Storage.open(sqlite_url)
    try:
        audit_id = storage.audit.begin(actor_id="U1", source="console")
        with pytest.raises(ValueError, match="final outcome"):
            storage.audit.finish(audit_id, outcome=AuditOutcome.PENDING)
    finally:
        storage.close()


def test_a_failure_keeps_its_error_cut_to_a_bounded_length(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        audit_id = storage.audit.begin(actor_id="U1", source="console", command="restart")
        entry = storage.audit.finish(audit_id, outcome="failure", error="x" * 5000)
        assert entry.outcome == "failure"
        assert entry.error is not None and len(entry.error) == 2000 and entry.error.endswith("…")
    finally:
        storage.close()


def test_recent_attempts_come_newest_first_and_limited(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        ids = [storage.audit.begin(actor_id="U1", source="console", command=f"c{i}") for i in range(5)]
        recent = storage.audit.recent(3)
        assert [entry.id for entry in recent] == ids[::-1][:3]
        assert [entry.command for entry in recent] == ["c4", "c3", "c2"]
    finally:
        storage.close()


def test_old_pending_attempts_are_marked_interrupted_and_new_ones_are_left(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        old = storage.audit.begin(actor_id="U1", source="console", command="restart")
        cutoff = datetime.now(UTC) + timedelta(seconds=1)
        finished = storage.audit.begin(actor_id="U1", source="console", command="status")
        storage.audit.finish(finished, outcome="success")
        assert storage.audit.mark_interrupted(cutoff) == 1
        later = storage.audit.begin(actor_id="U1", source="console", command="scale")
        assert storage.audit.mark_interrupted(datetime.now(UTC) - timedelta(hours=1)) == 0

        outcomes = {entry.id: entry.outcome for entry in storage.audit.recent(10)}
        assert outcomes == {old: "interrupted", finished: "success", later: "pending"}
    finally:
        storage.close()


def test_history_records_what_ran_and_filters_by_person_and_channel(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        audit_id = storage.audit.begin(actor_id="U1", source="slack", command="restart")
        storage.history.record(
            actor_id="U1",
            source="slack",
            channel="C1",
            command="restart",
            arguments={"name": "nginx"},
            namespace="default",
            audit_id=audit_id,
            summary="restarted",
        )
        storage.history.record(actor_id="U2", source="slack", channel="C2", command="status")
        storage.history.record(actor_id="U1", source="console", command="scale", arguments={"replicas": 2})

        assert [h.command for h in storage.history.recent()] == ["scale", "status", "restart"]
        assert [h.command for h in storage.history.recent(actor_id="U1")] == ["scale", "restart"]
        (only,) = storage.history.recent(channel="C1")
        assert (only.command, only.arguments, only.audit_id, only.summary, only.namespace) == (
            "restart",
            {"name": "nginx"},
            audit_id,
            "restarted",
            "default",
        )
    finally:
        storage.close()


def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_database_is_shared_across_threads() -> None:
    import threading

    storage = Storage.open("sqlite://")
    try:
        ids: list[int] = []
        worker = threading.Thread(
            target=lambda: ids.append(storage.audit.begin(actor_id="U", source="console"))
        )
        worker.start()
        worker.join(timeout=10)
        assert [entry.id for entry in storage.audit.recent()] == ids
    finally:
        storage.close()


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_password_in_the_database_url_is_never_shown() -> None:
    assert redact_url("postgresql://u:s3cret@h/db") == "postgresql+psycopg://u:***@h/db"
    with pytest.raises(ConfigError) as caught:
        make_engine("not a url s3cret")
    assert "s3cret" not in str(caught.value)


def test_an_unsupported_database_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unsupported database: mysql"):
        make_engine("mysql://u@h/db")


def test_an_unreachable_database_is_reported_as_unavailable() -> None:
    with socket.socket() as probe:  # a port from the OS that nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unavailable, match="Could not migrate the database") as caught:
        migrate(f"postgresql://nobody:pw@127.0.0.1:{port}/test?connect_timeout=2")
    assert "pw" not in str(caught.value)
