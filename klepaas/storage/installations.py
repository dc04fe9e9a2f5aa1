"""OAuth: Slack installations (encrypted at rest), one-time `state` values, and identity links
(a Slack user ↔ a GitHub login or Google account).

Installations are stored as one JSON document per workspace, encrypted with Fernet
(`KLEPAAS_ENCRYPTION_KEY`): the bot tokens in it are as good as passwords.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Engine, Float, Text, update
from sqlmodel import Field, SQLModel, col, select

from klepaas.errors import ConfigError
from klepaas.storage.approvals import _session


class SlackInstallationRecord(SQLModel, table=True):
    __tablename__ = "slack_installation"

    team_id: str = Field(primary_key=True, max_length=64)  # "-" for an org-wide install
    enterprise_id: str | None = Field(default=None, max_length=64)
    sealed: str = Field(sa_column=Column(Text, nullable=False))  # Fernet(JSON of the installation)
    installed_at: float = Field(sa_column=Column(Float, nullable=False))


class OAuthStateRecord(SQLModel, table=True):
    __tablename__ = "oauth_state"

    state: str = Field(primary_key=True, max_length=64)
    provider: str = Field(max_length=16)
    subject: str | None = Field(default=None, max_length=128)  # the Slack user linking an account
    expires_at: float = Field(sa_column=Column(Float, nullable=False))
    used: bool = False


class IdentityLinkRecord(SQLModel, table=True):
    __tablename__ = "identity_link"

    slack_user: str = Field(primary_key=True, max_length=128)
    provider: str = Field(primary_key=True, max_length=16)
    login: str = Field(max_length=200)
    linked_at: float = Field(sa_column=Column(Float, nullable=False))


@dataclass(frozen=True)
class OAuthState:
    provider: str
    subject: str | None


class Sealer:
    """Fernet over the configured key; a missing or malformed key is a ConfigError naming it."""

    def __init__(self, key: str | None) -> None:
        if not key:
            raise ConfigError(
                "KLEPAAS_ENCRYPTION_KEY is not set",
                hint="generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
            )
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise ConfigError(
                "KLEPAAS_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64 bytes)"
            ) from exc

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            return dict(json.loads(self._fernet.decrypt(sealed.encode())))
        except InvalidToken as exc:
            raise ConfigError(
                "A stored Slack installation cannot be decrypted with KLEPAAS_ENCRYPTION_KEY",
                hint="the key changed; restore the old key or reinstall the app",
            ) from exc


class SlackInstallations:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer

    def save(self, team_id: str | None, enterprise_id: str | None, data: dict[str, Any]) -> None:
        key = team_id or "-"
        with _session(self._engine) as session:
            row = session.get(SlackInstallationRecord, key)
            if row is None:
                row = SlackInstallationRecord(team_id=key, sealed="", installed_at=time.time())
            row.enterprise_id = enterprise_id
            row.sealed = self._sealer.seal(data)
            row.installed_at = time.time()
            session.add(row)
            session.commit()

    def find(self, team_id: str | None) -> dict[str, Any] | None:
        with _session(self._engine) as session:
            row = session.get(SlackInstallationRecord, team_id or "-")
            return self._sealer.open(row.sealed) if row is not None else None

    def teams(self) -> list[str]:
        """The workspaces with an installation of their own (not an org-wide one), oldest first."""
        with _session(self._engine) as session:
            rows = session.exec(
                select(SlackInstallationRecord.team_id)
                .where(col(SlackInstallationRecord.team_id) != "-")
                .order_by(col(SlackInstallationRecord.installed_at))
            ).all()
            return list(rows)

    def delete(self, team_id: str | None) -> None:
        with _session(self._engine) as session:
            row = session.get(SlackInstallationRecord, team_id or "-")
            if row is not None:
                session.delete(row)
                session.commit()

    def raw(self, team_id: str) -> str | None:
        """The stored (sealed) text, for checking that nothing is stored in the clear."""
        with _session(self._engine) as session:
            row = session.get(SlackInstallationRecord, team_id)
            return row.sealed if row is not None else None


class OAuthStates:
    """One-time `state` values against CSRF: issued with the authorize link, consumed once."""

    def __init__(self, engine: Engine, ttl_seconds: float) -> None:
        self._engine = engine
        self._ttl = ttl_seconds

    def issue(self, provider: str, subject: str | None = None) -> str:
        state = secrets.token_urlsafe(24)
        with _session(self._engine) as session:
            session.add(
                OAuthStateRecord(
                    state=state, provider=provider, subject=subject, expires_at=time.time() + self._ttl
                )
            )
            session.commit()
        return state

    def consume(self, state: str, provider: str) -> OAuthState | None:
        """The state's details if it was issued for `provider`, is unexpired and unused; once only."""
        now = time.time()
        with _session(self._engine) as session:
            count = session.exec(
                update(OAuthStateRecord)
                .where(col(OAuthStateRecord.state) == state[:64])
                .where(col(OAuthStateRecord.provider) == provider)
                .where(col(OAuthStateRecord.used).is_(False))
                .where(col(OAuthStateRecord.expires_at) > now)
                .values(used=True)
            ).rowcount
            session.commit()
            if count != 1:
                return None
            row = session.get(OAuthStateRecord, state[:64])
            assert row is not None
            return OAuthState(provider=row.provider, subject=row.subject)


class IdentityLinks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def link(self, slack_user: str, provider: str, login: str) -> None:
        with _session(self._engine) as session:
            row = session.get(IdentityLinkRecord, (slack_user, provider))
            if row is None:
                row = IdentityLinkRecord(slack_user=slack_user, provider=provider, login=login, linked_at=0.0)
            row.login = login
            row.linked_at = time.time()
            session.add(row)
            session.commit()

    def get(self, slack_user: str, provider: str) -> str | None:
        with _session(self._engine) as session:
            row = session.get(IdentityLinkRecord, (slack_user, provider))
            return row.login if row is not None else None
