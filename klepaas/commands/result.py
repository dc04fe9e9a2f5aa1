"""A platform-neutral result made of typed blocks; each front door renders it its own way.

Slack renders blocks through Jinja2 Block Kit templates, the console through rich, MCP as
structured content plus the summary text.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Status = Literal["success", "info", "warning", "error"]


class Header(BaseModel):
    kind: Literal["header"] = "header"
    text: str


class Text(BaseModel):
    """A paragraph; may hold simple markdown (*bold*, `code`)."""

    kind: Literal["text"] = "text"
    text: str


class Fields(BaseModel):
    """Label/value pairs, e.g. Replicas: 3/3."""

    kind: Literal["fields"] = "fields"
    items: list[tuple[str, str]]


class Table(BaseModel):
    kind: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[str]]
    # Rows that exist but were left out to stay within limits: rendered as "and N more".
    omitted: int = 0
    title: str | None = None


class Code(BaseModel):
    """Logs, YAML, diffs: shown monospaced; long ones become a file upload in Slack."""

    kind: Literal["code"] = "code"
    text: str
    title: str | None = None
    language: str | None = None


class Context(BaseModel):
    """Small print under a message: namespace, cluster, timestamps, hints."""

    kind: Literal["context"] = "context"
    text: str


class Button(BaseModel):
    label: str
    action_id: str  # e.g. "rollback", "approve", "deny"
    value: str = ""  # opaque payload the front door passes back
    style: Literal["primary", "danger"] | None = None


class Actions(BaseModel):
    kind: Literal["actions"] = "actions"
    buttons: list[Button]


class Image(BaseModel):
    """A picture (a chart) kept as a PNG file: Slack uploads it to the thread, the console shows its path."""

    kind: Literal["image"] = "image"
    path: str
    title: str
    alt: str = ""


Block = Annotated[
    Header | Text | Fields | Table | Code | Context | Actions | Image, Field(discriminator="kind")
]


class Result(BaseModel):
    command: str
    status: Status = "success"
    summary: str  # one line, in the user's language
    blocks: list[Block] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)  # structured payload for --json and MCP
    # Holds a secret (a new token): shown only to the person who asked, never posted in a channel.
    # How to show it, not what it says: left out of the JSON.
    private: bool = Field(default=False, exclude=True)

    @property
    def ok(self) -> bool:
        return self.status != "error"
