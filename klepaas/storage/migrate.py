"""Alembic migrations, run programmatically at start-up (and by `klepaas migrate`).

Alembic is imported only when a migration runs: it narrates its plugin set-up at INFO on import,
which we keep out of start-up output by lowering its logger first.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from klepaas.errors import Unavailable
from klepaas.storage.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _quiet_alembic() -> None:
    alembic_log = logging.getLogger("alembic")
    if alembic_log.level == logging.NOTSET:
        alembic_log.setLevel(logging.WARNING)


def alembic_config() -> Config:
    _quiet_alembic()
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate_engine(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` (idempotent)."""
    config = alembic_config()
    from alembic import command

    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise Unavailable(
            f"Could not migrate the database ({type(exc).__name__}).",
            hint="check DATABASE_URL and that the database is up",
        ) from exc


def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade the database at `database_url` to `revision` (idempotent)."""
    engine = make_engine(database_url)
    try:
        migrate_engine(engine, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    _quiet_alembic()
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    config = alembic_config()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config).get_current_head()
