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
    "metrics": {"name", "namespace", "kind", "since"},
    "query_prometheus": {"query", "since"},
}
# Typed by people who administer the bot, never chosen by a planner.
ADMIN_COMMANDS = {
    "policy", "bind", "grant", "project_add", "project_list", "project_remove", "token_create",
    "token_revoke", "token_list", "get_approval", "build", "silence_alert",
}
# Administrative reads people ask for in their own words ("who restarted api?", "내 권한 뭐야"):
# offered to planners.
ASKED_ADMIN_COMMANDS = {"whoami", "history", "audit"}
CLUSTER_CHANGING = {"restart", "scale", "rollback", "deploy"}


def test_the_registry_holds_exactly_the_designed_commands_with_at_least_their_arguments() -> None:
    registry = build_registry()

    assert set(registry.names()) == set(DESIGN_COMMANDS) | ADMIN_COMMANDS | ASKED_ADMIN_COMMANDS
    for spec in registry:
        assert DESIGN_COMMANDS.get(spec.name, set()) <= set(spec.args_model.model_fields), spec.name


def test_administrative_commands_are_never_offered_to_planners() -> None:
    registry = build_registry()

    offered = {info.name for info in registry.infos()}
    assert not offered & ADMIN_COMMANDS
    assert offered >= ASKED_ADMIN_COMMANDS
    assert "query_prometheus" not in offered  # raw PromQL is typed by admins, not guessed


def test_risk_and_scope_follow_the_design() -> None:
    registry = build_registry()

    risks = {spec.name: spec.risk for spec in registry if spec.name in DESIGN_COMMANDS}
    assert {n for n, r in risks.items() if r is Risk.WRITE} == {"restart", "scale"}
    assert {n for n, r in risks.items() if r is Risk.DANGEROUS} == {"rollback", "deploy"}
    for name in ADMIN_COMMANDS - {"build", "silence_alert"}:
        assert registry.get(name).scope in {Scope.ADMIN_READ, Scope.ADMIN_WRITE, Scope.K8S_READ}, name
    for name in ASKED_ADMIN_COMMANDS:  # asked for in plain words, so only ever reads
        assert registry.get(name).risk is Risk.READ, name
    assert registry.get("deploy").scope is Scope.DEPLOY_EXECUTE
    assert registry.get("scale").scope is Scope.K8S_WRITE
    assert registry.get("status").scope is Scope.K8S_READ
    silence = registry.get("silence_alert")
    assert (silence.risk, silence.scope, silence.planner) == (Risk.WRITE, Scope.K8S_WRITE, False)


def test_every_command_that_changes_the_cluster_has_a_dry_run_preview_and_starts_a_rollout() -> None:
    for spec in build_registry():
        changes = spec.name in CLUSTER_CHANGING
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

    everything = set(DESIGN_COMMANDS) | ADMIN_COMMANDS | ASKED_ADMIN_COMMANDS
    assert {c["name"] for c in english.data["commands"]} == everything
    count = len(everything)
    assert english.summary == f"{count} commands; ask in Korean or English"
    tables = [b for b in english.blocks if b.kind == "table"]
    assert tables[-1].title == "Administration (typed as shown)"
    assert {row[0].split()[0] for row in tables[-1].rows} >= {"policy", "grant", "bind"}
    assert not {row[0].split()[0] for row in tables[-1].rows} & ASKED_ADMIN_COMMANDS
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
