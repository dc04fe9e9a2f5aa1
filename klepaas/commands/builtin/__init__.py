"""The built-in commands, one module per area, and `build_registry()` that registers them all.

- `inspect`: status, logs, endpoint, get_deployment, get_service, rollout_history
- `rollout`: restart, scale (write), rollback, deploy (dangerous), each with a dry-run preview
- `lists`: list_*, overview, cost_analysis (prices in `cost`)
- `help`
"""

from __future__ import annotations

from klepaas.commands.builtin import (
    audit,
    bind,
    build,
    grant,
    history,
    inspect,
    lists,
    metrics,
    policy_show,
    projects,
    rollout,
    silence,
    tokens,
    whoami,
)
from klepaas.commands.builtin import help as help_module
from klepaas.commands.registry import Registry


def build_registry() -> Registry:
    registry = Registry()
    for module in (inspect, rollout, lists, metrics, silence, help_module):
        for spec in module.SPECS:
            registry.register(spec)
    for module in (whoami, policy_show, bind, grant, history, audit):  # who may do what (issue 6)
        for spec in module.SPECS:
            registry.register(spec)
    for module in (projects, tokens, build):  # the side server's (issue 7)
        for spec in module.SPECS:
            registry.register(spec)
    return registry


__all__ = ["build_registry"]
