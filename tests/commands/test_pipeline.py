from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import ApprovalAnswer, Outcome, Request, RolloutTarget
from klepaas.commands.policy import ChannelBinding
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.errors import NotFound
from klepaas.llm.plan import Clarify, Plan
from klepaas.storage import AuditEntry, Storage
from tests.commands.conftest import MakePipeline, ScriptedPlanner
from tests.commands.fake_registry import Calls

ALICE = Actor(id="U-alice", source="slack", workspace="T1", channel="C-ops")


@dataclass
class RecordingApprover:
    answer: bool | ApprovalAnswer = True
    asked: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> bool | ApprovalAnswer:
        self.asked.append(
            (spec.name, args.model_dump(exclude_none=True), preview.summary if preview else None)
        )
        return self.answer


@dataclass
class RecordingAppNames:
    """App names for the planner, recording which cluster and namespaces were asked about."""

    known: list[str] = field(default_factory=list)
    asked: list[tuple[str | None, list[str]]] = field(default_factory=list)

    async def names(self, cluster: str | None, namespaces: Sequence[str]) -> list[str]:
        self.asked.append((cluster, list(namespaces)))
        return list(self.known)


def only_audit_row(storage: Storage) -> AuditEntry:
    (row,) = storage.audit.recent(10)
    return row


async def test_a_read_runs_at_once_without_asking_anyone(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    approver = RecordingApprover()
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="status nginx"), approver)

    assert outcome.result.summary == "status done" and outcome.ok
    assert calls.runs == [("status", {"name": "nginx", "namespace": "default"})]
    assert approver.asked == []
    assert outcome.decision is not None and (outcome.decision.action.value, outcome.decision.rule) == (
        "allow",
        "read-allowed",
    )
    row = only_audit_row(storage)
    assert (row.id, row.outcome, row.command, row.decision, row.plan_source, row.namespace) == (
        outcome.audit_id,
        "success",
        "status",
        "allow",
        "structured",
        "default",
    )
    assert (row.actor_id, row.source, row.workspace, row.channel, row.text) == (
        "U-alice",
        "slack",
        "T1",
        "C-ops",
        "status nginx",
    )
    (history,) = storage.history.recent()
    assert (history.command, history.audit_id, history.summary) == ("status", outcome.audit_id, "status done")


async def test_a_write_shows_the_dry_run_asks_the_approver_and_then_runs(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    approver = RecordingApprover(ApprovalAnswer(approved=True, approver="U-bob"))
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="scale api 3 -n staging"), approver)

    assert outcome.ok
    assert calls.previews == [("scale", {"name": "api", "namespace": "staging", "replicas": 3})]
    assert approver.asked == [
        ("scale", {"name": "api", "namespace": "staging", "replicas": 3}, "would scale")
    ]
    assert calls.runs == [("scale", {"name": "api", "namespace": "staging", "replicas": 3})]
    assert outcome.approval is not None
    assert (outcome.approval.required, outcome.approval.approved, outcome.approval.approver) == (
        True,
        True,
        "U-bob",
    )
    row = only_audit_row(storage)
    assert (row.outcome, row.decision, row.rule, row.approver) == (
        "success",
        "require_approval",
        "write-needs-approval",
        "U-bob",
    )


async def test_a_refused_write_changes_nothing_and_is_audited_as_cancelled(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    approver = RecordingApprover(False)
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="restart nginx"), approver)

    assert calls.runs == []
    assert len(approver.asked) == 1
    assert (outcome.result.status, outcome.result.summary) == ("info", "Cancelled; nothing was changed.")
    assert outcome.approval is not None and outcome.approval.approved is False
    row = only_audit_row(storage)
    assert (row.outcome, row.command, row.namespace) == ("cancelled", "restart", "default")
    assert storage.history.recent() == []


async def test_dangerous_commands_always_ask_even_when_writes_need_no_approval(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    approver = RecordingApprover(False)
    pipeline = make_pipeline(require_approval_for_write=False)
    outcome = await pipeline.handle(Request(actor=ALICE, text="rollback api -n staging --to 2"), approver)

    assert approver.asked == [
        ("rollback", {"name": "api", "namespace": "staging", "revision": 2}, "would rollback")
    ]
    assert calls.runs == []
    assert outcome.decision is not None and outcome.decision.rule == "dangerous-needs-approval"


async def test_production_always_asks_even_when_writes_need_no_approval(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    approver = RecordingApprover(True)
    pipeline = make_pipeline(require_approval_for_write=False)

    staging = await pipeline.handle(Request(actor=ALICE, text="restart nginx -n staging"), approver)
    assert staging.decision is not None and staging.decision.rule == "write-allowed"
    assert approver.asked == []

    production = await pipeline.handle(Request(actor=ALICE, text="restart nginx -n production"), approver)
    assert production.decision is not None and production.decision.rule == "production-needs-approval"
    assert [name for name, _, _ in approver.asked] == ["restart"]
    assert [name for name, _ in calls.runs] == ["restart", "restart"]


async def test_a_change_with_no_way_to_ask_for_approval_is_refused(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="restart nginx"), approver=None)

    assert calls.runs == []
    assert outcome.result.status == "error"
    assert outcome.result.summary.startswith("restart needs an approval here")
    assert outcome.result.data["error"] == "forbidden"
    assert only_audit_row(storage).outcome == "refused"


async def test_a_failing_dry_run_is_shown_instead_of_asking(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    calls.preview_fails = True
    approver = RecordingApprover(True)
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="restart ghost"), approver)

    assert approver.asked == [] and calls.runs == []
    assert (outcome.result.status, outcome.result.summary) == ("error", "dry run failed: not found")
    row = only_audit_row(storage)
    assert (row.outcome, row.error) == ("failure", "dry run failed: not found")


async def test_a_klepaas_error_becomes_an_error_result_a_person_can_act_on(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    calls.fail_with = NotFound("deployment ngnix not found in default", suggestions=["nginx"])
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="status ngnix"))

    assert outcome.result.model_dump() == {
        "command": "status",
        "status": "error",
        "summary": "deployment ngnix not found in default",
        "blocks": [{"kind": "context", "text": "Did you mean: nginx"}],
        "data": {"error": "not_found", "message": "deployment ngnix not found in default"},
    }
    row = only_audit_row(storage)
    assert (row.outcome, row.error) == ("failure", "deployment ngnix not found in default")


async def test_an_unexpected_exception_is_logged_once_and_shown_as_a_generic_error(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    calls.fail_with = RuntimeError("secret internals: token=abc")
    with structlog.testing.capture_logs() as logged:
        outcome = await make_pipeline().handle(Request(actor=ALICE, text="status nginx"))

    assert outcome.result.status == "error"
    assert outcome.result.summary == "Something went wrong on our side; the details are in the server log."
    assert "secret" not in outcome.result.model_dump_json()
    (entry,) = logged  # logged once, at the top, with the traceback
    assert (entry["event"], entry["log_level"], entry["command"], entry["exc_info"]) == (
        "request failed with an internal error",
        "error",
        "status",
        True,
    )
    row = only_audit_row(storage)
    assert (row.outcome, row.error) == ("failure", "internal error")


async def test_the_audit_row_is_written_before_the_command_runs_and_completed_after(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    seen_during_run: list[tuple[str | None, str]] = []
    calls.during_run = lambda: seen_during_run.extend((r.command, r.outcome) for r in storage.audit.recent(5))

    outcome = await make_pipeline().handle(Request(actor=ALICE, text="scale api 2"), RecordingApprover(True))

    assert seen_during_run == [("scale", "pending")]
    row = only_audit_row(storage)
    assert (row.id, row.outcome) == (outcome.audit_id, "success")
    assert row.finished_at is not None and row.duration_ms is not None


async def test_a_read_is_answered_once_its_row_is_written_and_completed_behind_the_answer(
    make_pipeline: MakePipeline, storage: Storage
) -> None:
    pipeline = make_pipeline()
    outcome = await pipeline.handle(Request(actor=ALICE, text="status nginx"))

    with storage.engine.connect() as connection:  # what is committed now, without waiting
        begun = connection.exec_driver_sql("SELECT id, command FROM audit_record").all()
    assert [tuple(row) for row in begun] == [(outcome.audit_id, "status")]
    row = only_audit_row(storage)  # a reader waits for the completion written behind
    assert (row.outcome, row.finished_at is not None) == ("success", True)
    assert [entry.command for entry in storage.history.recent()] == ["status"]
    await pipeline.drain()
    assert storage.pending.count == 0


async def test_a_read_whose_attempt_cannot_be_recorded_is_not_answered(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    with storage.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE audit_record RENAME TO audit_record_away")

    outcome = await make_pipeline().handle(Request(actor=ALICE, text="status nginx"))

    assert (outcome.ok, outcome.result.data.get("error")) == (False, "unavailable")
    assert "database is not available" in outcome.result.summary
    assert "status done" not in outcome.result.summary


async def test_a_cancelled_request_leaves_its_audit_row_interrupted(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    calls.fail_with = asyncio.CancelledError()
    with pytest.raises(asyncio.CancelledError):
        await make_pipeline().handle(Request(actor=ALICE, text="status nginx"))
    assert only_audit_row(storage).outcome == "interrupted"


async def test_a_syntax_error_gives_the_usage_and_is_audited_as_a_failure(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="scale api --replicas many"))

    assert calls.runs == []
    assert outcome.result.status == "error"
    assert outcome.result.data["usage"] == "scale <name> <replicas> [-n <namespace>]"
    assert outcome.result.blocks[0].model_dump() == {
        "kind": "text",
        "text": "Usage: `scale <name> <replicas> [-n <namespace>]`",
    }
    row = only_audit_row(storage)
    assert (row.outcome, row.command) == ("failure", "scale")
    assert outcome.result.command == "scale"
    assert row.error is not None and "replicas: Input should be a valid integer" in row.error


async def test_free_text_goes_to_the_planner_with_the_channel_context(
    make_pipeline: MakePipeline, planner: ScriptedPlanner, calls: Calls, storage: Storage
) -> None:
    planner.answers["nginx 재시작해줘"] = Plan(
        command="restart", args={"name": "nginx"}, source="rules", lang="ko"
    )
    pipeline = make_pipeline(channels={"C-ops": ChannelBinding(namespaces=("staging", "qa"))})
    outcome = await pipeline.handle(Request(actor=ALICE, text="nginx 재시작해줘"), RecordingApprover(True))

    ((text, context),) = planner.asked
    assert (text, context.namespaces, context.default_namespace) == (
        "nginx 재시작해줘",
        ["staging", "qa"],
        "staging",
    )
    assert calls.runs == [("restart", {"name": "nginx", "namespace": "staging"})]
    assert calls.contexts[0].lang == "ko" and calls.contexts[0].allowed_namespaces == ["staging", "qa"]
    assert outcome.plan is not None and outcome.plan.source == "rules"
    assert only_audit_row(storage).plan_source == "rules"


async def test_a_clarifying_question_is_returned_and_nothing_runs(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="그거 좀 고쳐줘"))

    assert outcome.clarify == Clarify(question="Which app do you mean?")
    assert (outcome.result.status, outcome.result.summary) == ("info", "Which app do you mean?")
    assert calls.runs == []
    [row] = storage.audit.recent()  # a question back is an attempt too: recorded, refused
    assert (row.command, row.outcome, row.error) == (None, "refused", "clarify: Which app do you mean?")


async def test_a_command_phrase_that_reads_like_prose_is_left_to_the_planner(
    make_pipeline: MakePipeline, planner: ScriptedPlanner, calls: Calls
) -> None:
    planner.answers["restart nginx in staging"] = Plan(
        command="restart", args={"name": "nginx", "namespace": "staging"}, source="rules"
    )
    outcome = await make_pipeline().handle(
        Request(actor=ALICE, text="restart nginx in staging"), RecordingApprover()
    )
    assert outcome.ok and calls.runs == [("restart", {"name": "nginx", "namespace": "staging"})]

    # When the planner cannot make sense of it either, the usage is the better answer.
    unclear = await make_pipeline().handle(Request(actor=ALICE, text="scale api lots please"))
    assert unclear.result.status == "error" and unclear.result.data["usage"].startswith("scale <name>")


async def test_the_namespace_defaults_to_the_channel_binding_else_default(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    pipeline = make_pipeline(channels={"C-ops": ChannelBinding(namespaces=("staging",))})
    bound = await pipeline.handle(Request(actor=ALICE, text="status nginx"))
    unbound = await pipeline.handle(Request(actor=ALICE, channel="C-other", text="status nginx"))
    overview = await pipeline.handle(Request(actor=ALICE, channel="C-other", text="overview"))

    assert (bound.namespace, unbound.namespace, overview.namespace) == ("staging", "default", None)
    assert [args.get("namespace") for _, args in calls.runs] == ["staging", "default", None]


async def test_a_slash_command_typed_as_text_is_the_command_after_it(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="/klepaas status nginx"))

    assert outcome.ok
    assert calls.runs == [("status", {"name": "nginx", "namespace": "default"})]


async def test_all_namespaces_is_for_list_commands_and_commands_that_find_the_namespace(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    pipeline = make_pipeline()
    listed = await pipeline.handle(Request(actor=ALICE, text="list pods -n all"))
    found = await pipeline.handle(Request(actor=ALICE, text="status nginx -n all"))
    refused = await pipeline.handle(Request(actor=ALICE, text="logs nginx -n all"))

    assert listed.ok and listed.namespace == "*"
    assert found.ok and found.namespace == "*"
    assert refused.result.status == "error"
    assert refused.result.summary.startswith("logs works on one namespace")
    assert calls.runs == [("list_pods", {"namespace": "*"}), ("status", {"name": "nginx", "namespace": "*"})]


async def test_a_namespace_outside_the_channel_binding_is_denied_and_audited_as_refused(
    make_pipeline: MakePipeline, calls: Calls, storage: Storage
) -> None:
    pipeline = make_pipeline(channels={"C-ops": ChannelBinding(namespaces=("staging",))})
    outcome = await pipeline.handle(Request(actor=ALICE, text="status nginx -n production"))

    assert calls.runs == []
    assert (
        outcome.result.summary
        == "Not allowed: This channel may only use namespace(s) staging, not production."
    )
    row = only_audit_row(storage)
    assert (row.outcome, row.decision, row.rule) == ("refused", "deny", "channel-namespaces")


async def test_a_command_with_arguments_skips_planning(
    make_pipeline: MakePipeline, planner: ScriptedPlanner, calls: Calls
) -> None:
    outcome = await make_pipeline().handle(
        Request(actor=ALICE, command="logs", args={"name": "api", "lines": "10"})
    )
    assert planner.asked == []
    assert outcome.plan == Plan(command="logs", args={"name": "api", "lines": 10}, source="direct")
    assert calls.runs == [
        ("logs", {"name": "api", "namespace": "default", "lines": 10, "previous": False, "all_pods": False})
    ]


async def test_an_unknown_command_is_a_clear_error(make_pipeline: MakePipeline) -> None:
    outcome = await make_pipeline().handle(Request(actor=ALICE, command="explode"))
    assert (outcome.result.status, outcome.result.summary) == ("error", "Unknown command: explode")


async def test_free_text_without_a_planner_that_names_no_command_is_an_error(
    make_pipeline: MakePipeline,
) -> None:
    outcome = await make_pipeline(with_planner=False).handle(Request(actor=ALICE, text="frobnicate nginx"))
    assert (outcome.result.status, outcome.result.summary) == ("error", "Unknown command: frobnicate")


async def test_commands_that_start_a_rollout_name_it_for_the_front_door(make_pipeline: MakePipeline) -> None:
    outcome = await make_pipeline().handle(
        Request(actor=ALICE, text="restart api -n staging --cluster dev"), RecordingApprover(True)
    )
    assert outcome.rollout == RolloutTarget(cluster="dev", namespace="staging", name="api")
    read = await make_pipeline().handle(Request(actor=ALICE, text="status api"))
    assert read.rollout is None


async def test_the_rollout_to_follow_is_the_one_the_command_says_it_started(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    # A deploy by repo learns its app's name while it runs; the arguments cannot tell.
    calls.rollout_target = {"name": "api", "namespace": "staging"}
    outcome = await make_pipeline().handle(
        Request(actor=ALICE, command="deploy", args={"name": "x", "image": "nginx:1.27", "namespace": "qa"}),
        RecordingApprover(True),
    )
    assert outcome.rollout == RolloutTarget(cluster=None, namespace="staging", name="api")


async def test_a_command_that_names_no_rollout_has_none_to_follow(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    calls.rollout_target = {"namespace": "staging"}  # no name: nothing that can be followed
    outcome = await make_pipeline().handle(Request(actor=ALICE, text="restart api"), RecordingApprover(True))
    assert outcome.ok and outcome.rollout is None


async def test_the_planner_is_told_the_app_names_of_the_channels_cluster_and_namespaces(
    make_pipeline: MakePipeline, planner: ScriptedPlanner
) -> None:
    names = RecordingAppNames(["api", "web"])
    pipeline = make_pipeline(
        channels={"C-ops": ChannelBinding(cluster="dev", namespaces=("staging", "qa"))}, app_names=names
    )
    await pipeline.handle(Request(actor=ALICE, text="그거 좀 고쳐줘"))

    ((_text, context),) = planner.asked
    assert context.app_names == ["api", "web"]
    assert names.asked == [("dev", ["staging", "qa"])]


async def test_outside_a_bound_channel_the_apps_of_default_staging_and_production_are_named(
    make_pipeline: MakePipeline, planner: ScriptedPlanner
) -> None:
    names = RecordingAppNames(["nginx"])
    lone = Actor(id="U-bob", source="console")
    await make_pipeline(app_names=names).handle(Request(actor=lone, text="엔진엑스 상태", cluster="prod"))

    assert names.asked == [("prod", ["default", "staging", "production"])]
    assert planner.asked[0][1].app_names == ["nginx"]


async def test_a_structured_command_is_run_without_asking_for_app_names(make_pipeline: MakePipeline) -> None:
    names = RecordingAppNames(["nginx"])
    outcome = await make_pipeline(app_names=names).handle(Request(actor=ALICE, text="status nginx"))
    assert outcome.ok and names.asked == []


async def test_an_outcome_serialises_plan_decision_and_result_as_json(make_pipeline: MakePipeline) -> None:
    outcome: Outcome = await make_pipeline().handle(Request(actor=ALICE, text="status nginx -n web"))
    assert outcome.to_json() == {
        "plan": {
            "command": "status",
            "args": {"name": "nginx", "namespace": "web"},
            "source": "structured",
            "confidence": 1.0,
        },
        "clarify": None,
        "decision": {"action": "allow", "rule": "read-allowed", "reason": "Reading is allowed for everyone."},
        "approval": {"required": False, "approved": None, "approver": None, "preview": None},
        "namespace": "web",
        "cluster": None,
        "rollout": None,
        "audit_id": outcome.audit_id,
        "result": {
            "command": "status",
            "status": "success",
            "summary": "status done",
            "blocks": [],
            "data": {"name": "nginx", "namespace": "web", "kind": None},
        },
    }


def test_a_request_has_text_or_a_command_but_not_both() -> None:
    with pytest.raises(ValueError, match="either text or a command"):
        Request(actor=ALICE, text="status nginx", command="status")
    with pytest.raises(ValueError, match="either text or a command"):
        Request(actor=ALICE)


async def test_a_korean_request_refused_by_the_channels_binding_is_told_why_in_korean(
    make_pipeline: MakePipeline, calls: Calls
) -> None:
    pipeline = make_pipeline(channels={"C-ops": ChannelBinding(namespaces=("staging",))})
    outcome = await pipeline.handle(Request(actor=ALICE, text="restart nginx -n production", lang="ko"))

    assert outcome.result.summary == (
        "허용되지 않음: 이 채널에서는 staging 네임스페이스만 쓸 수 있습니다 (production은(는) 안 됩니다)."
    )
    assert calls.runs == []
