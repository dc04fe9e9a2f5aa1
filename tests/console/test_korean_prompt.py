"""The console asks for a confirmation in the language of the request it confirms."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from rich.console import Console

from klepaas.commands.appnames import StaticAppNames
from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Pipeline
from klepaas.commands.policy import DefaultPolicy
from klepaas.config import Settings
from klepaas.console.approver import ConsoleApprover
from klepaas.console.session import ConsoleSession
from klepaas.k8s.clusters import KubeClusters
from klepaas.llm.plan import Plan
from klepaas.storage import Storage
from tests.commands.conftest import ScriptedPlanner
from tests.commands.fake_registry import Calls, build_fake_registry

ME = Actor(id="me", source="console")


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def pipeline(calls: Calls, tmp_path: Path) -> Iterator[Pipeline]:
    settings = Settings()
    storage = Storage.open(f"sqlite:///{tmp_path / 'console.db'}")
    planner = ScriptedPlanner(
        {
            "nginx 재시작해줘": Plan(command="restart", args={"name": "nginx"}, source="rules", lang="ko"),
            "api 3개로 늘려줘": Plan(
                command="scale", args={"name": "api", "replicas": 3}, source="rules", lang="ko"
            ),
        }
    )
    try:
        yield Pipeline(
            settings=settings,
            registry=build_fake_registry(calls),
            clusters=cast(KubeClusters, None),  # the fake commands never reach a cluster
            storage=storage,
            policy=DefaultPolicy(settings),
            planner=planner,
            app_names=StaticAppNames(),  # the planner is told no app names
        )
    finally:
        storage.close()


def console_and_output() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, color_system=None, force_terminal=False), out


async def test_a_korean_request_is_confirmed_with_a_korean_question(pipeline: Pipeline, calls: Calls) -> None:
    console, out = console_and_output()
    approver = ConsoleApprover(console, ask=lambda prompt: "네")
    session = ConsoleSession(pipeline, console, actor=ME, approver=approver, follow_rollouts=False)

    outcome = await session.submit("nginx 재시작해줘")

    assert approver.asked == ["default 네임스페이스의 nginx 디플로이먼트를 재시작할까요? [y/N]"]
    assert "미리보기 (시험 실행):\ni would restart\n" in out.getvalue()
    assert outcome.ok and calls.runs == [("restart", {"name": "nginx", "namespace": "default"})]


async def test_without_a_terminal_a_korean_request_is_declined_in_korean(
    pipeline: Pipeline, calls: Calls
) -> None:
    console, out = console_and_output()
    approver = ConsoleApprover(console, interactive=False)
    session = ConsoleSession(pipeline, console, actor=ME, approver=approver, follow_rollouts=False)

    await session.submit("api 3개로 늘려줘")

    assert calls.runs == []
    assert (
        "default 네임스페이스의 api 디플로이먼트를 3개로 조정할까요? [y/N] "
        "거절함: 물어볼 터미널이 없습니다. 확인 없이 실행하려면 --yes를 주세요"
    ) in " ".join(out.getvalue().split())  # wide characters wrap the line
    assert "취소했습니다. 아무것도 바뀌지 않았습니다." in out.getvalue()


async def test_the_same_approver_asks_the_next_english_request_in_english(pipeline: Pipeline) -> None:
    console, _ = console_and_output()
    approver = ConsoleApprover(console, assume_yes=True)
    session = ConsoleSession(pipeline, console, actor=ME, approver=approver, follow_rollouts=False)

    await session.submit("nginx 재시작해줘")
    await session.submit("restart nginx -n staging")

    assert approver.asked == [
        "default 네임스페이스의 nginx 디플로이먼트를 재시작할까요? [y/N]",
        "Restart deployment nginx in namespace staging? [y/N]",
    ]


async def test_a_session_set_to_korean_asks_in_korean_even_for_a_typed_command(pipeline: Pipeline) -> None:
    console, _ = console_and_output()
    approver = ConsoleApprover(console, assume_yes=True)
    session = ConsoleSession(pipeline, console, actor=ME, approver=approver, lang="ko", follow_rollouts=False)

    await session.submit("rollback api --steps 2")

    assert approver.asked == [
        "default 네임스페이스의 api 디플로이먼트를 2단계 이전 리비전(으)로 롤백할까요? [y/N]"
    ]
