"""The built-in registry: the commands of DESIGN §3, each fully described."""

from __future__ import annotations

import json

from klepaas.commands.builtin import build_registry
from klepaas.commands.registry import Risk, Scope
from tests.commands.builtin.conftest import MakeContext

DESIGN_COMMANDS = {
    "status": {"name", "namespace", "kind"},
    "logs": {"name", "namespace", "lines", "previous", "container"},
    "endpoint": {"name", "namespace"},
    "restart": {"name", "namespace"},
    "scale": {"name", "namespace", "replicas"},
    "rollback": {"name", "namespace", "revision", "steps_back", "commit"},
    "rollout_history": {"name", "namespace"},
    "deploy": {"name", "namespace", "image", "repo", "ref"},
    "overview": set(),
    "list_pods": {"namespace"},
    "list_deployments": {"namespace"},
    "list_services": {"namespace"},
    "list_ingresses": {"namespace"},
    "list_endpoints": {"namespace"},
    "list_namespaces": set(),
    "list_apps": {"namespace"},
    "get_deployment": {"name", "namespace"},
    "get_service": {"name", "namespace"},
    "cost_analysis": {"namespace"},
    "help": set(),
}


def test_the_registry_holds_exactly_the_designed_commands_with_at_least_their_arguments() -> None:
    registry = build_registry()

    assert set(registry.names()) == set(DESIGN_COMMANDS)
    for spec in registry:
        assert DESIGN_COMMANDS[spec.name] <= set(spec.args_model.model_fields), spec.name


def test_risk_and_scope_follow_the_design() -> None:
    registry = build_registry()

    risks = {spec.name: spec.risk for spec in registry}
    assert {n for n, r in risks.items() if r is Risk.WRITE} == {"restart", "scale"}
    assert {n for n, r in risks.items() if r is Risk.DANGEROUS} == {"rollback", "deploy"}
    assert registry.get("deploy").scope is Scope.DEPLOY_EXECUTE
    assert registry.get("scale").scope is Scope.K8S_WRITE
    assert registry.get("status").scope is Scope.K8S_READ


def test_every_changing_command_has_a_dry_run_preview_and_starts_a_rollout() -> None:
    for spec in build_registry():
        changes = spec.risk is not Risk.READ
        assert (spec.preview is not None) is changes, spec.name
        assert spec.starts_rollout is changes, spec.name


def test_every_command_has_help_in_both_languages_and_a_json_schema() -> None:
    for spec in build_registry():
        assert spec.help_en and spec.help_ko and spec.help_en != spec.help_ko
        schema = spec.json_schema()
        json.dumps(schema)
        assert schema["type"] == "object"


def test_names_are_described_for_llm_tools() -> None:
    schema = build_registry().get("scale").json_schema()

    assert schema["required"] == ["name", "replicas"]
    assert "description" in schema["properties"]["name"]
    assert schema["properties"]["replicas"]["minimum"] == 0


async def test_help_lists_every_command_in_the_users_language(make_ctx: MakeContext) -> None:
    registry = build_registry()
    spec = registry.get("help")

    english = await spec.run(make_ctx("en"), spec.args_model())
    korean = await spec.run(make_ctx("ko"), spec.args_model())

    assert {c["name"] for c in english.data["commands"]} == set(DESIGN_COMMANDS)
    assert english.summary == "20 commands; ask in Korean or English"
    scale = next(c for c in korean.data["commands"] if c["name"] == "scale")
    assert scale == {
        "name": "scale",
        "usage": "scale <name> <replicas> [-n <namespace>]",
        "risk": "write",
        "scope": "k8s:write",
        "help": "앱의 파드 개수(레플리카) 조정",
        "help_en": "Change how many pods an app runs",
        "help_ko": "앱의 파드 개수(레플리카) 조정",
    }
    assert spec.template == "help"
