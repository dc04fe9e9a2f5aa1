"""Projects (a GitHub repository bound to its deployment and Slack channel) and the webhook
deliveries already accepted (`X-GitHub-Delivery`), so a redelivery deploys once.

Repositories are stored lower-case (`acme/api`): GitHub names are case-insensitive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select

from klepaas.errors import AlreadyExists, NotFound
from klepaas.storage.approvals import _session


class ProjectRecord(SQLModel, table=True):
    __tablename__ = "project"

    repo: str = Field(primary_key=True, max_length=200)
    cluster: str | None = Field(default=None, max_length=253)
    namespace: str = Field(max_length=253)  # staging: where pushes deploy
    production_namespace: str | None = Field(default=None, max_length=253)  # where releases deploy
    deployment: str = Field(max_length=253)
    container: str | None = Field(default=None, max_length=63)
    image_template: str = Field(max_length=500)
    channel: str = Field(max_length=80)
    # The Slack workspace (team id) of `channel`: posts about the project use its token.
    workspace: str | None = Field(default=None, max_length=64)
    trigger: str = Field(default="push", max_length=16)  # push | workflow_run
    workflow: str | None = Field(default=None, max_length=200)  # for `build` (workflow_dispatch)
    created_by: str = Field(max_length=128)
    created_at: float = Field(sa_column=Column(Float, nullable=False))


class WebhookDeliveryRecord(SQLModel, table=True):
    __tablename__ = "webhook_delivery"

    delivery_id: str = Field(primary_key=True, max_length=100)
    event: str = Field(max_length=64)
    repo: str | None = Field(default=None, max_length=200)
    status: str = Field(default="accepted", max_length=16)
    detail: str | None = Field(default=None, max_length=500)
    received_at: float = Field(sa_column=Column(Float, nullable=False, index=True))


@dataclass(frozen=True)
class Project:
    repo: str
    cluster: str | None
    namespace: str
    production_namespace: str | None
    deployment: str
    container: str | None
    image_template: str
    channel: str
    trigger: str
    workflow: str | None
    created_by: str
    created_at: float
    workspace: str | None = None  # the Slack workspace of `channel`

    @classmethod
    def of(cls, row: ProjectRecord) -> Project:
        return cls(
            repo=row.repo,
            cluster=row.cluster,
            namespace=row.namespace,
            production_namespace=row.production_namespace,
            deployment=row.deployment,
            container=row.container,
            image_template=row.image_template,
            channel=row.channel,
            trigger=row.trigger,
            workflow=row.workflow,
            created_by=row.created_by,
            created_at=row.created_at,
            workspace=row.workspace,
        )

    def image_for(self, sha: str, tag: str | None = None) -> str:
        """The image of a commit (or a release tag): the template with `{sha}`, `{short_sha}`, `{tag}`."""
        return self.image_template.format(sha=sha, short_sha=sha[:7], tag=tag or sha)


class Projects:
    """Sync repository; callers on the event loop use `asyncio.to_thread`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        *,
        repo: str,
        namespace: str,
        deployment: str,
        image_template: str,
        channel: str,
        created_by: str,
        cluster: str | None = None,
        production_namespace: str | None = None,
        container: str | None = None,
        trigger: str = "push",
        workflow: str | None = None,
        workspace: str | None = None,
        now: float | None = None,
    ) -> Project:
        row = ProjectRecord(
            repo=repo.lower(),
            cluster=cluster,
            namespace=namespace,
            production_namespace=production_namespace,
            deployment=deployment,
            container=container,
            image_template=image_template,
            channel=channel,
            workspace=workspace,
            trigger=trigger,
            workflow=workflow,
            created_by=created_by,
            created_at=time.time() if now is None else now,
        )
        try:
            with _session(self._engine) as session:
                session.add(row)
                session.commit()
                session.refresh(row)
                return Project.of(row)
        except IntegrityError:
            raise AlreadyExists(
                f"Project {repo} already exists.", hint=f"remove it first: project remove {repo}"
            ) from None

    def get(self, repo: str) -> Project | None:
        with _session(self._engine) as session:
            row = session.get(ProjectRecord, repo.lower())
            return Project.of(row) if row is not None else None

    def find_by_deployment(self, deployment: str) -> Project | None:
        """The project deploying `deployment` (or named like it: `build api` for acme/api)."""
        with _session(self._engine) as session:
            rows = session.exec(select(ProjectRecord).order_by(col(ProjectRecord.repo))).all()
        for row in rows:
            if row.deployment == deployment or row.repo.split("/", 1)[1] == deployment.lower():
                return Project.of(row)
        return None

    def list(self) -> list[Project]:
        with _session(self._engine) as session:
            rows = session.exec(select(ProjectRecord).order_by(col(ProjectRecord.repo))).all()
            return [Project.of(row) for row in rows]

    def remove(self, repo: str) -> Project:
        with _session(self._engine) as session:
            row = session.get(ProjectRecord, repo.lower())
            if row is None:
                raise NotFound(f"No project for {repo}.", hint="`project list` shows them")
            project = Project.of(row)
            session.delete(row)
            session.commit()
            return project


class WebhookDeliveries:
    """`X-GitHub-Delivery` ids already accepted, with what became of them."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_time(self, delivery_id: str, event: str, repo: str | None, now: float | None = None) -> bool:
        """Record the delivery; False if it was recorded before (a redelivery)."""
        row = WebhookDeliveryRecord(
            delivery_id=delivery_id[:100],
            event=event[:64],
            repo=repo,
            received_at=time.time() if now is None else now,
        )
        try:
            with _session(self._engine) as session:
                session.add(row)
                session.commit()
        except IntegrityError:
            return False
        return True

    def set_status(self, delivery_id: str, status: str, detail: str | None = None) -> None:
        with _session(self._engine) as session:
            session.exec(
                update(WebhookDeliveryRecord)
                .where(col(WebhookDeliveryRecord.delivery_id) == delivery_id[:100])
                .values(status=status, detail=(detail or "")[:500] or None)
            )
            session.commit()

    def get(self, delivery_id: str) -> tuple[str, str | None] | None:
        """(status, detail) of a delivery, if recorded."""
        with _session(self._engine) as session:
            row = session.get(WebhookDeliveryRecord, delivery_id[:100])
            return (row.status, row.detail) if row is not None else None
