"""MCP tools generated from the command registry: one tool per command.

Names follow the original design where a command maps to one of its tools; every other tool is
named after its command. Input schemas are the argument models' JSON schemas; the annotations
come from the risk (`read` → read-only; `dangerous` → destructive).
"""

from __future__ import annotations

from typing import Any

import mcp.types as types

from klepaas.commands.registry import CommandSpec, Registry, Risk

# command → tool name of the original design
DESIGN_NAMES: dict[str, str] = {
    "deploy": "deploy_app",
    "rollback": "rollback_deployment",
    "get_deployment": "get_k8s_resource",
    "status": "check_health",
    "build": "trigger_git_deployment",
}


def tool_name(spec: CommandSpec[Any]) -> str:
    return DESIGN_NAMES.get(spec.name, spec.name)


def tool_for(spec: CommandSpec[Any]) -> types.Tool:
    read = spec.risk is Risk.READ
    return types.Tool(
        name=tool_name(spec),
        title=spec.help_en,
        description=(
            f"{spec.help_en} (risk: {spec.risk.value}; scope: {spec.scope.value}; usage: {spec.usage})"
        ),
        input_schema=spec.json_schema(),
        annotations=types.ToolAnnotations(
            title=spec.help_en,
            read_only_hint=read,
            destructive_hint=spec.risk is Risk.DANGEROUS,
            idempotent_hint=read,
            open_world_hint=False,
        ),
    )


class Toolbox:
    """The registry as MCP tools, and the command behind each tool name."""

    def __init__(self, registry: Registry) -> None:
        self._by_tool: dict[str, CommandSpec[Any]] = {}
        for spec in registry:
            name = tool_name(spec)
            if name in self._by_tool:
                raise ValueError(f"two commands would be the MCP tool {name!r}")
            self._by_tool[name] = spec
        self.tools = [tool_for(spec) for spec in self._by_tool.values()]

    def command(self, tool: str) -> CommandSpec[Any] | None:
        return self._by_tool.get(tool)
