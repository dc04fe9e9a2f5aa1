"""The console front door over the command core: approval prompts, the REPL, rollout lines."""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from rich.console import Console

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Pipeline
from klepaas.commands.policy import DefaultPolicy
from klepaas.config import Settings
from klepaas.console.approver import ConsoleApprover
from klepaas.console.progress import snapshot_line
from klepaas.console.repl import run_interactive, run_lines
from klepaas.console.session import ConsoleSession
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.rollout import PodProblem, RolloutSnapshot
from klepaas.storage import Storage
from tests.commands.fake_registry import Calls, build_fake_registry

ME = Actor(id="me", source="console")


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def pipeline(calls: Calls, tmp_path: Path) -> Iterator[Pipeline]:
    settings = Settings()
    storage = Storage.open(f"sqlite:///{tmp_path / 'console.db'}")
    try:
        yield Pipeline(
            settings=settings,
            registry=build_fake_registry(calls),
            clusters=cast(KubeClusters, None),  # the fake commands never reach a cluster
            storage=storage,
            policy=DefaultPolicy(settings),
        )
    finally:
        storage.close()


def console_and_output() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, color_system=None, force_terminal=False), out


def session_for(pipeline: Pipeline, approver: ConsoleApprover, console: Console) -> ConsoleSession:
    return ConsoleSession(pipeline, console, actor=ME, approver=approver, follow_rollouts=False)


async def test_the_confirmation_prompt_names_the_action_and_yes_runs_it(
    pipeline: Pipeline, calls: Calls
) -> None:
    console, out = console_and_output()
    answers = iter(["y"])
    approver = ConsoleApprover(console, ask=lambda prompt: next(answers))
    outcome = await session_for(pipeline, approver, console).submit("restart nginx -n staging")

    assert approver.asked == ["Restart deployment nginx in namespace staging? [y/N]"]
    assert outcome.ok and calls.runs == [("restart", {"name": "nginx", "namespace": "staging"})]
    assert "Preview (dry run):\ni would restart\n" in out.getvalue()


async def test_anything_but_yes_at_the_prompt_cancels(pipeline: Pipeline, calls: Calls) -> None:
    console, out = console_and_output()
    for answer in ("", "n", "no thanks"):
        approver = ConsoleApprover(console, ask=lambda prompt, answer=answer: answer)
        await session_for(pipeline, approver, console).submit("scale api 3")
    assert calls.runs == []
    assert out.getvalue().count("i Cancelled; nothing was changed.") == 3


async def test_korean_yes_is_yes(pipeline: Pipeline, calls: Calls) -> None:
    console, _ = console_and_output()
    approver = ConsoleApprover(console, ask=lambda prompt: "네")
    await session_for(pipeline, approver, console).submit("rollback api --steps 2")
    assert approver.asked == ["Roll back deployment api to 2 revisions back in namespace default? [y/N]"]
    assert [name for name, _ in calls.runs] == ["rollback"]


async def test_yes_skips_the_prompt_and_says_so(pipeline: Pipeline, calls: Calls) -> None:
    console, out = console_and_output()

    def never(prompt: str) -> str:
        raise AssertionError("--yes must not ask")

    approver = ConsoleApprover(console, assume_yes=True, ask=never)
    await session_for(pipeline, approver, console).submit("deploy api image=nginx:1.27")
    assert "Deploy nginx:1.27 as api in namespace default? [y/N] y (--yes)" in out.getvalue()
    assert [name for name, _ in calls.runs] == ["deploy"]


async def test_without_a_terminal_changes_are_declined_with_a_hint(pipeline: Pipeline, calls: Calls) -> None:
    console, out = console_and_output()
    approver = ConsoleApprover(console, interactive=False)
    await session_for(pipeline, approver, console).submit("scale api 3")
    assert calls.runs == []
    assert "declined: no terminal to ask on; pass --yes to confirm" in out.getvalue()


async def test_scripted_lines_run_in_order_skipping_blanks_and_comments(
    pipeline: Pipeline, calls: Calls
) -> None:
    console, out = console_and_output()
    session = session_for(pipeline, ConsoleApprover(console, interactive=False), console)
    failures = await run_lines(
        session, ["status nginx", "", "# note", "status", "list pods -n all", "exit", "help"]
    )

    assert [name for name, _ in calls.runs] == ["status", "list_pods"]
    assert failures == 1  # "status" without a name
    text = out.getvalue()
    assert "klepaas> status nginx\n✓ status done" in text
    assert "✗ name is missing\nUsage: status <name> [-n <namespace>] [--kind <kind>]" in text
    assert "note" not in text and "help" not in text


async def test_the_interactive_console_reads_until_exit_and_keeps_a_history(
    pipeline: Pipeline, calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console, out = console_and_output()
    typed = iter(["status nginx", "  ", "list pods", "quit", "status never-reached"])
    prompts: list[str] = []

    def fake_input(prompt: Any = "") -> str:
        prompts.append(str(prompt))
        return next(typed)

    monkeypatch.setattr(builtins, "input", fake_input)
    history = tmp_path / "history"
    session = session_for(pipeline, ConsoleApprover(console), console)
    failures = await run_interactive(session, history=history)

    assert failures == 0
    assert prompts == ["klepaas> "] * 4
    assert [name for name, _ in calls.runs] == ["status", "list_pods"]
    assert "help` lists commands" in out.getvalue()
    assert history.exists()


async def test_the_interactive_console_ends_at_end_of_input(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console, _ = console_and_output()

    def eof(prompt: Any = "") -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", eof)
    assert (
        await run_interactive(
            session_for(pipeline, ConsoleApprover(console), console), history=tmp_path / "h"
        )
        == 0
    )


def test_a_rollout_line_shows_progress_then_the_verdict() -> None:
    progressing = RolloutSnapshot(
        name="api",
        namespace="staging",
        revision=4,
        desired=3,
        updated=2,
        ready=2,
        available=2,
        total=4,
        message="2 of 3 new replicas updated",
    )
    assert snapshot_line(progressing).plain == (
        "… rollout api (staging) rev 4: 2/3 updated, 2 ready, 2 available, 2 old — "
        "2 of 3 new replicas updated"
    )
    failed = RolloutSnapshot(
        name="api",
        namespace="staging",
        revision=5,
        desired=3,
        updated=1,
        ready=3,
        available=3,
        total=4,
        failed=True,
        message="pod api-x of the new revision: ImagePullBackOff",
        failing_pods=(PodProblem(pod="api-x", container="api", reason="ImagePullBackOff"),),
    )
    assert snapshot_line(failed).plain.splitlines() == [
        "✗ rollout api (staging) rev 5: 1/3 updated, 3 ready, 3 available, 3 old — "
        "pod api-x of the new revision: ImagePullBackOff",
        "    pod api-x/api: ImagePullBackOff",
    ]
    done = RolloutSnapshot(
        name="api",
        namespace="staging",
        revision=5,
        desired=3,
        updated=3,
        ready=3,
        available=3,
        total=3,
        done=True,
        message='deployment "api" successfully rolled out',
    )
    assert snapshot_line(done).plain.startswith("✓ rollout api (staging) rev 5: 3/3 updated")
