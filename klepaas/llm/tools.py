"""Compact tool definitions for LLM providers, generated from the commands' argument models.

Every provider (Anthropic, OpenAI, Gemini) receives the same list: one tool per command, the
English one-line help as description, and a compact JSON schema as parameters. Compact means:
no `title`s, no `$defs`/`$ref` (inlined), `X | None` collapsed to `X` (optional = not required),
`default: null`/`false` and `examples` dropped, enums inline, no description on the arguments
every command shares (`name`, `namespace`: the system prompt explains them once), other
descriptions cut at 60 characters and the command's at 100. This keeps the whole tool list under
1,500 tokens (see bench/planner.py) and is a schema all three SDKs accept (Gemini rejects `anyOf`
with null and `$ref`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from klepaas.llm.plan import CommandInfo

# Keys that carry no meaning for the model and only cost tokens.
_DROPPED_KEYS = frozenset({"title", "additionalProperties", "$defs", "definitions", "examples"})
# Descriptions longer than these are cut; the command's help already says what it does.
_MAX_TOOL_DESCRIPTION = 100
_MAX_ARG_DESCRIPTION = 60
# Arguments every command shares; the system prompt explains them once instead of 20 times.
_SHARED_ARGUMENTS = frozenset({"name", "namespace"})
# The end of a first sentence: ". ", "; " or ": ", but not the dot of "e.g. " or "i.e. ".
_SENTENCE_END = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.;:])\s")


@dataclass(frozen=True)
class ToolDef:
    """One tool as sent to a provider: name, English description, compact JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


def tool_definitions(commands: list[CommandInfo]) -> list[ToolDef]:
    """One compact tool definition per command, in the given order."""
    return [tool_definition(info) for info in commands]


def tool_definition(info: CommandInfo) -> ToolDef:
    return ToolDef(
        name=info.name,
        description=_short(info.help_en, _MAX_TOOL_DESCRIPTION),
        parameters=compact_schema(info.args_model.model_json_schema()),
    )


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema rewritten to the compact object schema sent to providers."""
    defs: dict[str, Any] = {**schema.get("$defs", {}), **schema.get("definitions", {})}
    properties: dict[str, Any] = {}
    for name, node in schema.get("properties", {}).items():
        compact = _compact_node(node, defs)
        if name in _SHARED_ARGUMENTS and isinstance(compact, dict):
            compact.pop("description", None)
        properties[name] = compact
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = [name for name in schema.get("required", []) if name in properties]
    if required:
        out["required"] = required
    return out


def _compact_node(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_compact_node(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rsplit("/", 1)[-1], {})
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _compact_node(merged, defs)
    variants = node.get("anyOf")
    if isinstance(variants, list):
        non_null = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
        if len(non_null) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _compact_node({**non_null[0], **rest}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key == "default" and (value is None or value is False):
            continue
        if key == "description" and isinstance(value, str):
            out[key] = _short(value, _MAX_ARG_DESCRIPTION)
            continue
        out[key] = _compact_node(value, defs)
    if "const" in out and "enum" not in out:
        out["enum"] = [out.pop("const")]
    return out


def _short(text: str, limit: int) -> str:
    """The first sentence of `text`, at most `limit` characters."""
    text = " ".join(text.split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".;:")
    if len(first) <= limit:
        return first
    return first[: limit - 1].rstrip() + "…"
