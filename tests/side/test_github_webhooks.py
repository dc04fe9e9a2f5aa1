"""GitHub → deploy → Slack against the local Slack and the sandbox cluster, with GitHub's own
example payloads signed here (hmac in the test, not our code)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from klepaas.storage.projects import WebhookDeliveries
from tests.fakes.slack_server import FakeSlack
from tests.side.conftest import add_project, example, sign, url

CHANNEL = "C0DEPLOY"
Examples = dict[str, list[dict[str, Any]]]


def _image(cluster: SandboxCluster, namespace: str, name: str) -> str:
    deployment = cluster.store.get(BY_KIND["Deployment"], namespace, name)
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


async def _post(
    http: aiohttp.ClientSession,
    runner: BotRunner,
    event: str,
    payload: dict[str, Any],
    *,
    delivery: str,
    signature: str | None = "sign",
    body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(raw)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    async with http.post(url(runner, "/api/v1/cicd/webhook"), data=raw, headers=headers) as response:
        return response.status, await response.json()


def _buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _audit_errors(runner: BotRunner) -> list[str | None]:
    assert runner.services is not None
    return [e.error for e in runner.services.storage.audit.recent(20) if e.source == "webhook"]


async def test_a_push_to_the_default_branch_deploys_staging_in_one_thread_with_progress_and_rollback(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    add_project(side_bot)
    payload = example(github_examples, "push", ref="refs/heads/master")
    sha = payload["after"]

    status, answer = await _post(http, side_bot, "push", payload, delivery="d-push-1")

    assert (status, answer) == (202, {"status": "deploying", "environment": "staging", "sha": sha})
    head = await slack.wait_for(
        lambda: next(
            (m for m in slack.channel_messages(CHANNEL) if "codertocat/hello-world" in m.text), None
        ),
        what="the deploy thread's first message",
    )
    rollout = await slack.wait_for(
        lambda: next((m for m in slack.thread(CHANNEL, head.ts) if "rollback" in _buttons(m.current)), None),
        timeout=30,
        what="the finished rollout with a Rollback button",
    )
    assert "Rollout complete" in rollout.current["text"]
    final = await slack.wait_for(
        lambda: next((u for u in head.updates if "Deployed" in u["text"]), None), what="the header's outcome"
    )
    assert sha[:7] in json.dumps(final["blocks"])
    assert _image(cluster, "staging", "api") == f"ghcr.io/klepaas/api:{sha[:7]}"
    assert side_bot.services is not None and side_bot.bot is not None
    await asyncio.wait_for(side_bot.bot.deps.tasks.wait_idle(), 30)
    status_row = WebhookDeliveries(side_bot.services.storage.engine).get("d-push-1")
    assert status_row is not None and status_row[0] == "deployed"
    history = side_bot.services.storage.history.recent(5)
    assert [(h.command, h.namespace, h.source) for h in history[:1]] == [("deploy", "staging", "webhook")]


async def test_a_redelivered_push_deploys_once(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    add_project(side_bot)
    payload = example(github_examples, "push", ref="refs/heads/master")

    first = await _post(http, side_bot, "push", payload, delivery="d-same")
    second = await _post(http, side_bot, "push", payload, delivery="d-same")

    assert first[0] == 202
    assert second == (200, {"status": "duplicate", "delivery": "d-same"})
    assert side_bot.bot is not None
    await side_bot.bot.deps.tasks.wait_idle()
    heads = [m for m in slack.channel_messages(CHANNEL) if m.thread_ts is None]
    assert len(heads) == 1


async def test_a_forged_signature_is_refused_audited_and_changes_nothing(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    add_project(side_bot)
    payload = example(github_examples, "push", ref="refs/heads/master")
    before = _image(cluster, "staging", "api")

    forged = await _post(http, side_bot, "push", payload, delivery="d-forged", signature=sign(b"other"))
    missing = await _post(http, side_bot, "push", payload, delivery="d-missing", signature=None)

    assert forged == (401, {"error": "signature missing or wrong"})
    assert missing == (401, {"error": "signature missing or wrong"})
    assert _audit_errors(side_bot) == ["signature missing or wrong", "signature missing or wrong"]
    assert _image(cluster, "staging", "api") == before
    assert slack.channel_messages(CHANNEL) == []
    assert side_bot.services is not None
    assert WebhookDeliveries(side_bot.services.storage.engine).get("d-forged") is None


async def test_an_oversized_body_is_refused_before_its_signature_is_even_read(
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    cluster: SandboxCluster,
    slack: FakeSlack,
) -> None:
    body = b"{" + b" " * (side_bot.settings.github.webhook_max_bytes + 10) + b"}"

    status, answer = await _post(http, side_bot, "push", {}, delivery="d-big", body=body)

    assert status == 413
    assert answer["error"].startswith("oversized body")
    assert _audit_errors(side_bot) == [answer["error"]]


async def test_ping_answers_and_an_unknown_repository_is_accepted_and_ignored(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    ping = await _post(http, side_bot, "ping", example(github_examples, "ping"), delivery="d-ping")
    push = await _post(
        http,
        side_bot,
        "push",
        example(github_examples, "push", ref="refs/heads/master"),
        delivery="d-unknown",
    )

    assert ping[0] == 200 and ping[1]["pong"] is True
    assert push == (202, {"status": "ignored", "reason": "no project for codertocat/hello-world"})
    assert slack.channel_messages(CHANNEL) == []


async def test_a_push_to_another_branch_or_a_push_project_s_workflow_run_deploys_nothing(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    add_project(side_bot)
    tag_push = example(github_examples, "push", ref="refs/tags/simple-tag")
    run = example(github_examples, "workflow_run", action="completed")
    run["repository"]["full_name"] = "Codertocat/Hello-World"

    tagged = await _post(http, side_bot, "push", tag_push, delivery="d-tag")
    workflow = await _post(http, side_bot, "workflow_run", run, delivery="d-run")

    assert tagged == (
        202,
        {"status": "ignored", "reason": "push to refs/tags/simple-tag, not the default branch master"},
    )
    assert workflow == (202, {"status": "ignored", "reason": "project deploys on push, not workflow_run"})


async def test_a_successful_workflow_run_deploys_a_project_triggered_by_it(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    add_project(side_bot, trigger="workflow_run")
    run = example(github_examples, "workflow_run", action="completed")
    run["repository"]["full_name"] = "Codertocat/Hello-World"
    run["workflow_run"]["conclusion"] = "success"
    run["workflow_run"]["head_branch"] = run["repository"]["default_branch"]
    sha = run["workflow_run"]["head_sha"]

    status, answer = await _post(http, side_bot, "workflow_run", run, delivery="d-run-ok")

    assert (status, answer["status"], answer["sha"]) == (202, "deploying", sha)
    assert await slack.wait_for(
        lambda: _image(cluster, "staging", "api") == f"ghcr.io/klepaas/api:{sha[:7]}" or None,
        timeout=30,
        what="the image of the workflow run's commit",
    )


async def test_a_published_release_asks_for_approval_in_the_thread_and_deploys_production_once_approved(
    slack: FakeSlack,
    cluster: SandboxCluster,
    side_bot: BotRunner,
    http: aiohttp.ClientSession,
    github_examples: Examples,
) -> None:
    add_project(side_bot, deployment="checkout", image_template="ghcr.io/klepaas/checkout:{tag}")
    release = example(github_examples, "release", action="published")
    tag = release["release"]["tag_name"]
    before = _image(cluster, "production", "checkout")

    status, answer = await _post(http, side_bot, "release", release, delivery="d-release")

    assert (status, answer["environment"]) == (202, "production")
    head = await slack.wait_for(
        lambda: next((m for m in slack.channel_messages(CHANNEL) if m.thread_ts is None), None), what="head"
    )
    approval = await slack.wait_for(
        lambda: next((m for m in slack.thread(CHANNEL, head.ts) if "approve" in _buttons(m.current)), None),
        what="the approval in the deploy thread",
    )
    assert _image(cluster, "production", "checkout") == before
    await slack.send_block_action(approval, "approve", user="U0BOB")
    assert await slack.wait_for(
        lambda: _image(cluster, "production", "checkout") == f"ghcr.io/klepaas/checkout:{tag}" or None,
        timeout=30,
        what="the release's image in production",
    )
    await slack.wait_for(
        lambda: next((u for u in head.updates if "Deployed" in u["text"]), None),
        timeout=30,
        what="the header's outcome",
    )
