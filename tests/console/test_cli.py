"""The `klepaas` command line end to end: a real process, the sandbox cluster on this test's loop."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The parent's environment minus every setting we read, so only what a test says applies."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KLEPAAS_", "SLACK_", "K8S_", "ANTHROPIC", "OPENAI", "GEMINI", "CLAUDE"))
        and key not in ("KUBECONFIG", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        HOME=str(tmp_path),
        KLEPAAS_LLM_PROVIDERS="",
        KLEPAAS_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        COLUMNS="120",
    )
    env.update(extra)
    return env


async def klepaas(
    *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None, timeout: float = 90
) -> Ran:
    """Run `python -m klepaas ARGS` without blocking the loop (the sandbox serves on it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "klepaas",
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(
        process.communicate(stdin.encode() if stdin is not None else None), timeout
    )
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@pytest.fixture
def cluster_env(kubeconfig_path: Path, tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path, KUBECONFIG=str(kubeconfig_path), KLEPAAS_KUBE_CONTEXT="klepaas-sandbox")


@pytest.mark.sandbox(samples=True)
async def test_chat_json_prints_the_plan_the_decision_and_the_result(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    ran = await klepaas(
        "chat", "list deployments -n staging", "--json", "--user", "U1", env=cluster_env, cwd=tmp_path
    )

    assert ran.code == 0, ran.err
    document = ran.json()
    assert document["plan"] == {
        "command": "list_deployments",
        "args": {"namespace": "staging"},
        "source": "structured",
        "confidence": 1.0,
    }
    assert document["decision"] == {
        "action": "allow",
        "rule": "read-allowed",
        "reason": "Reading is allowed for everyone.",
    }
    assert document["namespace"] == "staging" and isinstance(document["audit_id"], int)
    result = document["result"]
    assert (result["command"], result["status"]) == ("list_deployments", "success")
    assert sorted(item["name"] for item in result["data"]["items"]) == ["api", "web"]


@pytest.mark.sandbox(samples=True)
async def test_chat_without_a_terminal_declines_changes_unless_told_yes(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    declined = await klepaas("chat", "scale api 3 -n staging", "--json", env=cluster_env, cwd=tmp_path)
    assert declined.code == 2, declined.err
    assert declined.json()["approval"]["approved"] is False
    assert "Scale deployment api to 3 replicas in namespace staging? [y/N]" in declined.err

    confirmed = await klepaas(
        "chat", "scale api 3 -n staging", "--json", "--yes", env=cluster_env, cwd=tmp_path
    )
    assert confirmed.code == 0, confirmed.err
    assert confirmed.json()["approval"] == {
        "required": True,
        "approved": True,
        "approver": "console",
        "preview": confirmed.json()["approval"]["preview"],
    }
    assert confirmed.json()["result"]["status"] == "success"


@pytest.mark.sandbox(samples=True)
async def test_chat_exits_non_zero_on_an_error_result_and_prints_it_for_a_person(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    ran = await klepaas("chat", "logs ghost -n staging", env=cluster_env, cwd=tmp_path)
    assert ran.code == 1
    assert ran.out.startswith("✗ ") and "ghost" in ran.out
    assert "Traceback" not in ran.out + ran.err


@pytest.mark.sandbox(samples=True)
async def test_chat_prints_a_result_for_a_terminal(cluster_env: dict[str, str], tmp_path: Path) -> None:
    ran = await klepaas("chat", "list deployments -n staging", env=cluster_env, cwd=tmp_path)
    assert ran.code == 0, ran.err
    assert ran.out.startswith("✓ ")
    assert "api" in ran.out and "web" in ran.out


async def test_plan_json_prints_the_planners_choice_without_a_cluster(tmp_path: Path) -> None:
    ran = await klepaas("plan", "restart nginx in staging", "--json", env=clean_env(tmp_path), cwd=tmp_path)
    assert ran.code == 0, ran.err
    assert ran.json() == {
        "command": "restart",
        "args": {"name": "nginx", "namespace": "staging"},
        "source": "rules",
    }


async def test_plan_reads_one_utterance_per_line_and_answers_in_order(tmp_path: Path) -> None:
    ran = await klepaas(
        "plan",
        "--json",
        env=clean_env(tmp_path),
        cwd=tmp_path,
        stdin="nginx 상태 보여줘\n\nscale api to 3 in staging\n음...\n",
    )
    assert ran.code == 0, ran.err
    answers = [json.loads(line) for line in ran.out.splitlines()]
    assert [answer["command"] for answer in answers] == ["status", "scale", None]
    assert answers[0]["args"]["name"] == "nginx"
    assert answers[1]["args"] == {"name": "api", "replicas": 3, "namespace": "staging"}
    assert isinstance(answers[2]["clarify"], str) and answers[2]["clarify"]


async def test_migrate_brings_the_database_to_the_latest_revision(tmp_path: Path) -> None:
    database = tmp_path / "migrated.db"
    ran = await klepaas(
        "migrate", env=clean_env(tmp_path, DATABASE_URL=f"sqlite:///{database}"), cwd=tmp_path
    )
    assert ran.code == 0, ran.err
    assert ran.out.startswith(f"database sqlite:///{database} is at revision ")
    assert database.exists()


async def test_demo_runs_piped_requests_one_per_line(tmp_path: Path) -> None:
    ran = await klepaas(
        "demo",
        env=clean_env(tmp_path),
        cwd=tmp_path,
        stdin="list deployments -n staging\n# a comment\nscale api 3 -n staging\n",
    )
    assert ran.code == 0, ran.err
    assert "klepaas> list deployments -n staging" in ran.out
    assert "klepaas> scale api 3 -n staging" in ran.out
    assert "declined: no terminal to ask on; pass --yes to confirm" in ran.out
    assert "a comment" not in ran.out


async def test_demo_without_input_runs_the_tour_and_every_step_goes_as_expected(tmp_path: Path) -> None:
    ran = await klepaas("demo", env=clean_env(tmp_path), cwd=tmp_path, stdin="", timeout=120)

    for step in ("overview", "status nginx", "scale api 3 -n staging", "rollback api -n staging", "help"):
        assert f"klepaas> {step}\n" in ran.out
    assert "ErrImagePull" in ran.out or "ImagePullBackOff" in ran.out  # the bad deploy fails, live
    assert 'deployment "api" successfully rolled out' in ran.out  # and the rollback repairs it
    assert ran.code == 0, ran.out[-3000:] + ran.err[-3000:]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_sandbox_serves_until_interrupted_and_kubectl_can_use_its_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "sandbox.kubeconfig"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "klepaas",
        "sandbox",
        "--port",
        "0",
        "--kubeconfig",
        str(kubeconfig),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), 60)
        assert first.decode() == f"Sandbox cluster running. kubeconfig: {kubeconfig}\n"
        hint = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        assert hint.strip() == f"kubectl --kubeconfig {kubeconfig} get pods -A"

        kubectl = await asyncio.create_subprocess_exec(
            "kubectl",
            "--kubeconfig",
            str(kubeconfig),
            "get",
            "deployments",
            "-n",
            "staging",
            "-o",
            "name",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(kubectl.communicate(), 60)
        assert kubectl.returncode == 0, err.decode()
        assert sorted(out.decode().split()) == ["deployment.apps/api", "deployment.apps/web"]
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
