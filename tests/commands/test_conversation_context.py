"""Follow-ups through the pipeline: the last plan of a conversation, kept in its store, lends the
app (or the whole command) to the next message of that conversation and of no other."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from rich.console import Console
from structlog.testing import capture_logs

from klepaas.commands.appnames import StaticAppNames
from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Pipeline, Request
from klepaas.commands.policy import DefaultPolicy
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.config import LLMSettings, Settings
from klepaas.console.session import ConsoleSession
from klepaas.k8s.clusters import KubeClusters
from klepaas.llm.plan import Plan
from klepaas.llm.planner import build_planner
from klepaas.storage import Storage
from klepaas.storage.conversations import ConversationStore, DatabaseConversations, RedisConversations
from tests.commands.fake_registry import Calls, build_fake_registry

ALICE = Actor(id="U-alice", source="slack", workspace="T1", channel="C-ops")
THREAD = "slack:T1:C-ops:1.000100"
OTHER_THREAD = "slack:T1:C-ops:2.000200"


@dataclass
class YesApprover:
    asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        self.asked.append((spec.name, args.model_dump(exclude_none=True)))
        return True


def _pipeline(calls: Calls, storage: Storage, conversations: ConversationStore | None) -> Pipeline:
    settings = Settings(llm=LLMSettings(providers=""))
    registry = build_fake_registry(calls)
    return Pipeline(
        settings=settings,
        registry=registry,
        clusters=cast(KubeClusters, None),  # the fake commands never reach a cluster
        storage=storage,
        policy=DefaultPolicy(settings),
        planner=build_planner(settings, registry.infos()),  # the real rules planner
        app_names=StaticAppNames(["nginx", "api"]),
        conversations=conversations,
    )


@pytest.fixture
def pipeline(calls: Calls, storage: Storage) -> Pipeline:
    return _pipeline(calls, storage, DatabaseConversations(storage.engine, 1800))


def _say(text: str, conversation: str | None = THREAD, **kw: Any) -> Request:
    return Request(actor=ALICE, text=text, conversation=conversation, **kw)


async def test_a_follow_up_in_the_same_thread_scales_the_app_of_the_last_plan(
    pipeline: Pipeline, calls: Calls
) -> None:
    approver = YesApprover()
    first = await pipeline.handle(_say("nginx 상태"), approver)
    second = await pipeline.handle(_say("3개로 늘려줘"), approver)

    assert first.ok and second.ok
    assert second.plan is not None and (second.plan.command, second.plan.args) == (
        "scale",
        {"name": "nginx", "replicas": 3},
    )
    assert approver.asked == [("scale", {"name": "nginx", "namespace": "default", "replicas": 3})]
    assert calls.runs == [
        ("status", {"name": "nginx", "namespace": "default"}),
        ("scale", {"name": "nginx", "namespace": "default", "replicas": 3}),
    ]


async def test_the_same_follow_up_in_another_thread_gets_a_question_and_runs_nothing(
    pipeline: Pipeline, calls: Calls
) -> None:
    await pipeline.handle(_say("nginx 상태"), YesApprover())
    outcome = await pipeline.handle(_say("3개로 늘려줘", OTHER_THREAD), YesApprover())

    assert outcome.plan is None and outcome.clarify is not None
    assert calls.runs == [("status", {"name": "nginx", "namespace": "default"})]


async def test_staging_too_repeats_the_last_command_in_staging(pipeline: Pipeline, calls: Calls) -> None:
    await pipeline.handle(_say("nginx 상태"), YesApprover())
    outcome = await pipeline.handle(_say("staging도"), YesApprover())

    assert outcome.ok
    assert calls.runs[-1] == ("status", {"name": "nginx", "namespace": "staging"})


async def test_a_plan_put_to_an_approver_is_remembered_even_before_anyone_answers(
    pipeline: Pipeline, storage: Storage
) -> None:
    await pipeline.handle(_say("api 재시작해줘"), YesApprover())

    remembered = await DatabaseConversations(storage.engine, 1800).get(THREAD)

    assert remembered is not None
    assert (remembered["command"], remembered["args"], remembered["namespace"], remembered["lang"]) == (
        "restart",
        {"name": "api"},
        "default",
        "ko",
    )


async def test_a_question_back_and_a_refused_change_leave_the_context_as_it_was(
    pipeline: Pipeline, calls: Calls
) -> None:
    await pipeline.handle(_say("nginx 상태"), YesApprover())
    question = await pipeline.handle(_say("늘려줘"), YesApprover())
    refused = await pipeline.handle(_say("api 재시작해줘"), approver=None)  # needs approval, nobody to ask
    approver = YesApprover()
    outcome = await pipeline.handle(_say("3개로 늘려줘"), approver)

    assert question.clarify is not None and not refused.ok
    assert outcome.plan is not None and outcome.plan.args == {"name": "nginx", "replicas": 3}
    assert approver.asked == [("scale", {"name": "nginx", "namespace": "default", "replicas": 3})]


async def test_a_request_that_brings_its_own_previous_plan_is_not_given_the_stored_one(
    pipeline: Pipeline,
) -> None:
    await pipeline.handle(_say("nginx 상태"), YesApprover())
    outcome = await pipeline.handle(
        _say("3개로 늘려줘", previous=Plan("status", {"name": "api"}, "rules")), YesApprover()
    )

    assert outcome.plan is not None and outcome.plan.args == {"name": "api", "replicas": 3}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def redis_down() -> AsyncIterator[RedisConversations]:
    store = RedisConversations(f"redis://127.0.0.1:{_closed_port()}/0", 1800)
    try:
        yield store
    finally:
        await store.close()


async def test_with_redis_down_requests_are_still_planned_and_run_and_the_failure_is_logged_once(
    calls: Calls, storage: Storage, redis_down: RedisConversations
) -> None:
    pipeline = _pipeline(calls, storage, redis_down)
    with capture_logs() as logs:
        status = await pipeline.handle(_say("nginx 상태"), YesApprover())
        scale = await pipeline.handle(_say("api 3개로 늘려줘"), YesApprover())
        follow_up = await pipeline.handle(_say("5개로 늘려줘"), YesApprover())

    assert status.ok and scale.ok
    assert calls.runs == [
        ("status", {"name": "nginx", "namespace": "default"}),
        ("scale", {"name": "api", "namespace": "default", "replicas": 3}),
    ]
    assert follow_up.clarify is not None  # planned without the context it could not read
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert [entry["event"] for entry in warnings] == ["conversation context unavailable; planning without it"]


async def test_two_console_sessions_keep_their_own_follow_ups(pipeline: Pipeline, calls: Calls) -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None, force_terminal=False)
    me = Actor(id="me", source="console")
    one = ConsoleSession(pipeline, console, actor=me, approver=YesApprover(), follow_rollouts=False)
    two = ConsoleSession(pipeline, console, actor=me, approver=YesApprover(), follow_rollouts=False)

    await one.submit("nginx 상태")
    await two.submit("api 상태")
    await one.submit("3개로 늘려줘")
    await two.submit("2개로 줄여줘")

    assert calls.runs[2:] == [
        ("scale", {"name": "nginx", "namespace": "default", "replicas": 3}),
        ("scale", {"name": "api", "namespace": "default", "replicas": 2}),
    ]
