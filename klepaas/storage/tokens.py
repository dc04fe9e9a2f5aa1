"""API bearer tokens (MCP, the HTTP API): issued and revoked by admins, stored hashed.

A token is `kp_<id>_<secret>`; only the SHA-256 of the whole token is kept, so a database dump
reveals no usable token. The id is what admins see and revoke.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, update
from sqlmodel import Field, SQLModel, col, select

from klepaas.errors import NotFound
from klepaas.storage.approvals import _session

PREFIX = "kp_"


class ApiTokenRecord(SQLModel, table=True):
    __tablename__ = "api_token"

    id: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=500)  # space-separated
    channel: str | None = Field(default=None, max_length=80)  # where its approvals are posted
    workspace: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=128)
    created_at: float = Field(sa_column=Column(Float, nullable=False))
    revoked_at: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


@dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    scopes: frozenset[str]
    channel: str | None
    workspace: str | None
    created_by: str
    created_at: float
    revoked: bool

    @classmethod
    def of(cls, row: ApiTokenRecord) -> ApiToken:
        return cls(
            id=row.id,
            name=row.name,
            scopes=frozenset(row.scopes.split()),
            channel=row.channel,
            workspace=row.workspace,
            created_by=row.created_by,
            created_at=row.created_at,
            revoked=row.revoked_at is not None,
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokens:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        *,
        name: str,
        scopes: list[str],
        created_by: str,
        channel: str | None = None,
        workspace: str | None = None,
    ) -> tuple[ApiToken, str]:
        """The new token's record and its value (shown once, never stored)."""
        token_id = secrets.token_hex(4)
        value = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        row = ApiTokenRecord(
            id=token_id,
            name=name,
            token_hash=_hash(value),
            scopes=" ".join(sorted(set(scopes))),
            channel=channel,
            workspace=workspace,
            created_by=created_by,
            created_at=time.time(),
        )
        with _session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return ApiToken.of(row), value

    def verify(self, value: str) -> ApiToken | None:
        """The live token `value` is, or None (unknown, malformed or revoked)."""
        if not value.startswith(PREFIX) or value.count("_") < 2:
            return None
        token_id = value[len(PREFIX) :].split("_", 1)[0]
        with _session(self._engine) as session:
            row = session.get(ApiTokenRecord, token_id)
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.token_hash, _hash(value)):
                return None
            return ApiToken.of(row)

    def revoke(self, token_id: str) -> ApiToken:
        with _session(self._engine) as session:
            count = session.exec(
                update(ApiTokenRecord)
                .where(col(ApiTokenRecord.id) == token_id)
                .where(col(ApiTokenRecord.revoked_at).is_(None))
                .values(revoked_at=time.time())
            ).rowcount
            session.commit()
            row = session.get(ApiTokenRecord, token_id)
            if row is None or (count == 0 and row.revoked_at is None):
                raise NotFound(f"No token {token_id}.", hint="`token list` shows them")
            session.refresh(row)
            return ApiToken.of(row)

    def list(self) -> list[ApiToken]:
        with _session(self._engine) as session:
            rows = session.exec(select(ApiTokenRecord).order_by(col(ApiTokenRecord.created_at))).all()
            return [ApiToken.of(row) for row in rows]
