"""Tool definitions sent to LLM providers: one per command, compact, and small."""

from __future__ import annotations

import json
from typing import Any

from klepaas.llm.tools import compact_schema, tool_definitions
from tests.llm.rules_kit import command_infos

MAX_TOOL_TOKENS = 1500


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in _walk(v))]
    if isinstance(node, list):
        return [n for v in node for n in _walk(v)]
    return []


def test_there_is_one_tool_per_command_named_like_the_command() -> None:
    infos = command_infos()
    assert [t.name for t in tool_definitions(infos)] == [i.name for i in infos]


def test_schemas_have_no_titles_refs_or_null_unions() -> None:
    for tool in tool_definitions(command_infos()):
        for node in _walk(tool.parameters):
            assert not {"title", "$ref", "$defs", "anyOf", "additionalProperties"} & set(node), (
                tool.name,
                node,
            )


def test_optional_nullable_arguments_become_plain_optional_properties() -> None:
    schema = {
        "properties": {
            "name": {"title": "Name", "type": "string", "description": "App name"},
            "kind": {"anyOf": [{"$ref": "#/$defs/Kind"}, {"type": "null"}], "default": None, "title": "Kind"},
            "lines": {
                "type": "integer",
                "default": 100,
                "title": "Lines",
                "description": "How many lines. More text.",
            },
        },
        "required": ["name"],
        "$defs": {"Kind": {"enum": ["pod", "service"], "title": "Kind", "type": "string"}},
    }
    assert compact_schema(schema) == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": ["pod", "service"], "type": "string"},
            "lines": {"type": "integer", "default": 100, "description": "How many lines"},
        },
        "required": ["name"],
    }


def test_the_whole_tool_list_stays_under_1500_tokens_by_the_chars_over_4_estimate() -> None:
    payload = json.dumps([t.as_dict() for t in tool_definitions(command_infos())], separators=(",", ":"))
    assert len(payload) / 4 <= MAX_TOOL_TOKENS
