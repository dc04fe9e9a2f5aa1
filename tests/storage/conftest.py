"""Databases for storage tests: SQLite in a temp dir always; PostgreSQL when one answers locally.

PostgreSQL: 127.0.0.1:5432, database `test`, trust auth as `postgres` (or `root`). Each test gets
its own schema (search_path), dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_HOST, PG_PORT, PG_DATABASE = "127.0.0.1", 5432, "test"
PG_USERS = ("postgres", "root")


def _pg_user() -> tuple[str | None, str]:
    reasons = []
    for user in PG_USERS:
        try:
            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_DATABASE, user=user, connect_timeout=3
            ):
                return user, ""
        except psycopg.OperationalError as exc:
            reasons.append(f"{user}: {str(exc).strip().splitlines()[0]}")
    return None, "; ".join(reasons)


@pytest.fixture(scope="session")
def postgres_user() -> str:
    user, reason = _pg_user()
    if user is None:
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT}/{PG_DATABASE} is not reachable ({reason})")
    return user


@pytest.fixture
def postgres_url(postgres_user: str) -> Iterator[str]:
    schema = f"klepaas_test_{uuid.uuid4().hex[:12]}"
    dsn = f"host={PG_HOST} port={PG_PORT} dbname={PG_DATABASE} user={postgres_user}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql://{postgres_user}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'klepaas.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))
