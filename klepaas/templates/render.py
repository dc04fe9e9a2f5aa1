"""The one render function: Jinja2 Block Kit templates (`*.json.j2`) to a message dict.

Rules that keep a message from silently losing a block (the robusta `header.j2` failure: a quote in
a title broke the JSON and the block vanished):

- every value goes through `|tojson`, so quotes, braces and newlines in user or cluster text
  cannot break the JSON;
- `StrictUndefined`: a missing value is an error, never an empty string;
- any failure (template missing, undefined value, invalid JSON, a block too many) raises
  `RenderError`; nothing is dropped or patched up.

Pure Jinja2: no Slack SDK here (it lives in `klepaas.bot` and `klepaas.handlers`, where the
rendered blocks are validated against `slack_sdk.models.blocks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from klepaas.errors import KlepaasError

TEMPLATE_DIR = Path(__file__).parent

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000  # section text, context element text
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
ELLIPSIS = "…"


class RenderError(KlepaasError):
    """A template could not be rendered into valid Block Kit. A bug in a template or its values."""

    code = "render_error"


# A mention of one user (`<@U024BE7LH>`), as commands write who did what: it stays a mention.
_ESCAPED_USER_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,20})&gt;")


def mrkdwn(text: object) -> str:
    """Escape the three characters Slack's mrkdwn treats as control: a pod named `<!channel>` stays
    text, and so do links and special mentions (`<!here>`, user groups). A plain mention of one
    user (`<@U024BE7LH>`: who approved, who granted) is left a mention."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ESCAPED_USER_MENTION.sub(r"<@\1>", escaped)


def clip(text: object, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    value = str(text)
    if len(value) <= limit:
        return value
    return value[: max(limit - 1, 0)] + ELLIPSIS


def clip_tail(text: object, limit: int) -> str:
    """Keep the end of `text` (the newest log lines), marking the cut at the start."""
    value = str(text)
    if len(value) <= limit:
        return value
    tail = value[-(limit - 2) :]
    newline = tail.find("\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1 :]
    return ELLIPSIS + "\n" + tail


def code_block(text: object, limit: int = MAX_TEXT, title: str | None = None) -> str:
    """A mrkdwn code block (with an optional bold title) that fits in `limit` characters."""
    head = f"*{mrkdwn(title)}*\n" if title else ""
    fence = "```"
    room = limit - len(head) - 2 * len(fence) - 2
    body = clip_tail(mrkdwn(text).replace(fence, "'''"), room) or " "
    return f"{head}{fence}\n{body}\n{fence}"[:limit]


@dataclass(frozen=True)
class TableText:
    """A table laid out as monospaced sections, and how many rows did not fit."""

    chunks: list[str]
    more: int


def table_text(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    omitted: int = 0,
    *,
    limit: int = MAX_TEXT,
    max_chunks: int = 3,
) -> TableText:
    """Aligned columns in code blocks of at most `limit` characters; rows beyond `max_chunks` are counted."""
    cells = [[str(c) for c in columns], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) if i < len(r) else 0 for r in cells) for i in range(len(columns))]
    widths = [min(w, 60) for w in widths]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            clip(c, widths[i]).ljust(widths[i]) for i, c in enumerate(row[: len(widths)])
        ).rstrip()

    header = mrkdwn(line(cells[0]))
    room = limit - len("```\n\n```")
    chunks: list[list[str]] = []
    current, size = [header], len(header)
    placed = 0
    for row in cells[1:]:
        text = clip(mrkdwn(line(row)), room - len(header) - 1)
        if size + 1 + len(text) > room:
            chunks.append(current)
            current, size = [header], len(header)
            if len(chunks) == max_chunks:
                break
        current.append(text)
        size += 1 + len(text)
        placed += 1
    else:
        chunks.append(current)
    return TableText(
        chunks=["```\n" + "\n".join(c) + "\n```" for c in chunks], more=omitted + len(rows) - placed
    )


def slack_date(epoch_seconds: float, fallback: str) -> str:
    """Slack's date token: shown in the reader's own time zone."""
    return f"<!date^{int(epoch_seconds)}^{{date_short_pretty}} {{time}}|{mrkdwn(fallback)}>"


def user_mention(user_id: object) -> str:
    """`<@U123>` for a plausible Slack user id; anything else is shown as escaped text."""
    value = str(user_id)
    if value and value.isascii() and value.isalnum() and value[0] in "UW":
        return f"<@{value}>"
    return mrkdwn(value)


@jinja2.pass_context
def tr(context: jinja2.runtime.Context, en: str, ko: str) -> str:
    """Pick the user's language: every template is rendered with `lang` ("ko" or "en")."""
    lang = context.resolve_or_missing("lang")
    if lang is jinja2.runtime.missing:
        raise RenderError("template needs a `lang` value")
    return ko if lang == "ko" else en


class Separator:
    """`{{ comma() }}` before each item of a JSON list: "" the first time, "," after, across nested loops."""

    def __init__(self) -> None:
        self._used = False

    def __call__(self) -> str:
        if self._used:
            return ","
        self._used = True
        return ""


def _raise(message: str) -> None:
    raise RenderError(message)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Unicode as is (Korean stays readable in the JSON); the default HTML-safe escapes stay valid JSON.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    env.filters.update(mrkdwn=mrkdwn, clip=clip, clip_tail=clip_tail, code_block=code_block)
    env.globals.update(
        tr=tr,
        separator=Separator,
        table_text=table_text,
        slack_date=slack_date,
        user_mention=user_mention,
        raise_error=_raise,
        MAX_TEXT=MAX_TEXT,
        MAX_FIELD_TEXT=MAX_FIELD_TEXT,
        MAX_FIELDS=MAX_FIELDS,
        MAX_HEADER=MAX_HEADER,
        MAX_BUTTON_TEXT=MAX_BUTTON_TEXT,
        MAX_BUTTON_VALUE=MAX_BUTTON_VALUE,
    )
    return env


def template_names() -> list[str]:
    return sorted(p.name.removesuffix(".json.j2") for p in TEMPLATE_DIR.glob("*.json.j2"))


def render_message(template: str, **values: Any) -> dict[str, Any]:
    """Render `klepaas/templates/<template>.json.j2` with `values` into a dict.

    Messages come back as `{"text": ..., "blocks": [...]}` (at most 50 blocks), views as
    `{"type": "home" | "modal", "blocks": [...]}` (at most 100). Raises `RenderError` on anything wrong.
    """
    if values.get("lang") not in ("en", "ko"):
        raise RenderError(f"template {template!r} needs lang='en' or lang='ko', got {values.get('lang')!r}")
    try:
        source = environment().get_template(f"{template}.json.j2").render(**values)
    except RenderError:
        raise
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"no template named {template!r}") from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template {template!r}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template!r} is broken: {exc}") from exc
    try:
        message = json.loads(source)
    except json.JSONDecodeError as exc:
        raise RenderError(
            f"template {template!r} produced invalid JSON: {exc.msg} at line {exc.lineno}"
        ) from exc
    _check_shape(template, message)
    return message


def _check_shape(template: str, message: object) -> None:
    if not isinstance(message, dict) or not isinstance(message.get("blocks"), list):
        raise RenderError(f"template {template!r} must produce an object with a blocks list")
    blocks = message["blocks"]
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
        raise RenderError(f"template {template!r} produced a block that is not an object with a type")
    is_view = message.get("type") in {"home", "modal"}
    limit = MAX_VIEW_BLOCKS if is_view else MAX_MESSAGE_BLOCKS
    if len(blocks) > limit:
        raise RenderError(f"template {template!r} produced {len(blocks)} blocks; Slack allows {limit}")
    if not is_view and not isinstance(message.get("text"), str):
        raise RenderError(f"template {template!r} must produce a fallback `text` string")
