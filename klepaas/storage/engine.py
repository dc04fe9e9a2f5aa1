"""The database engine from DATABASE_URL: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from klepaas.errors import ConfigError

# How long a SQLite writer waits for another writer's lock before failing, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000


def normalize_url(database_url: str) -> str:
    """Our URL spelling to SQLAlchemy's: `postgresql://` and `postgres://` use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def redact_url(database_url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(normalize_url(database_url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid DATABASE_URL>"


def make_engine(database_url: str) -> Engine:
    url_text = normalize_url(database_url)
    try:
        url = make_url(url_text)
    except ArgumentError as exc:  # its message holds the URL, maybe a password: do not echo it
        raise ConfigError(
            "DATABASE_URL is not a valid database URL", hint="e.g. sqlite:///./klepaas.db"
        ) from exc
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url_text, in_memory=url.database in (None, "", ":memory:"))
    if url.get_backend_name() == "postgresql":
        return create_engine(url_text, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise ConfigError(
        f"DATABASE_URL uses an unsupported database: {url.get_backend_name()}",
        hint="use sqlite:///PATH or postgresql://USER@HOST/DB",
    )


def _sqlite_engine(url_text: str, *, in_memory: bool) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every thread would see its own empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url_text, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL is still crash-safe and consistent (an application crash loses
                # nothing); it skips the fsync on every commit (about 0.4 ms each here, three per
                # request) and syncs at checkpoints, so only a power cut can lose the last commits.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    return engine
