"""Rendered templates, checked against Slack's own Block Kit models before anything is sent.

`klepaas.templates` is pure Jinja2; here each rendered block is parsed with
`slack_sdk.models.blocks.Block.parse` and must come back unchanged from `to_dict()` (which also
enforces Slack's per-element limits). An unknown block type, a dropped key or a limit exceeded
raises `RenderError`: a broken message is a bug to fix, not something to send half of.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from klepaas.templates.render import MAX_MESSAGE_BLOCKS, MAX_VIEW_BLOCKS, RenderError, render_message


def validate_blocks(blocks: list[dict[str, Any]], *, limit: int = MAX_MESSAGE_BLOCKS) -> None:
    if len(blocks) > limit:
        raise RenderError(f"{len(blocks)} blocks; Slack allows {limit}")
    for index, block in enumerate(blocks):
        parsed = Block.parse(block)
        if parsed is None:
            raise RenderError(f"block {index} has an unknown type: {block.get('type')!r}")
        try:
            again = parsed.to_dict()
        except SlackObjectFormationError as exc:
            raise RenderError(f"block {index} ({block['type']}) is invalid: {exc}") from exc
        if _normal(again) != _normal(block):
            raise RenderError(f"block {index} ({block['type']}) does not survive Slack's model unchanged")


def _normal(value: Any) -> Any:
    """Compare ignoring key order and the `emoji: true` Slack adds or leaves out of plain_text."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if not (k == "emoji" and v is True)}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def build_message(template: str, **values: Any) -> dict[str, Any]:
    """Render a message template and validate it: `{"text": ..., "blocks": [...]}`."""
    message = render_message(template, **values)
    validate_blocks(message["blocks"], limit=MAX_MESSAGE_BLOCKS)
    return message


def build_view(template: str, **values: Any) -> dict[str, Any]:
    """Render a view template (App Home, modal) and validate it."""
    view = render_message(template, **values)
    if view.get("type") not in {"home", "modal"}:
        raise RenderError(f"template {template!r} is not a view")
    validate_blocks(view["blocks"], limit=MAX_VIEW_BLOCKS)
    return view
