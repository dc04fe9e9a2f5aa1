"""Side-server fixtures: the bot (local Slack, sandbox cluster, SQLite) with the webhook secret
set and MCP's routes, GitHub's documented example payloads (npm `@octokit/webhooks-examples`),
and signing done here, independently of the code under test."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from klepaas.bot.runner import BotRunner
from klepaas.commands.services import build_services
from klepaas.config import IntegrationSettings, Settings
from klepaas.mcp_server.server import register_routes as mcp_routes
from klepaas.storage.projects import Project, Projects
from tests.bot.conftest import PLANNER_ANSWERS, ScriptedPlanner, cluster, settings_overrides, slack
from tests.bot.conftest import settings as bot_settings
from tests.fakes.slack_server import FakeSlack

__all__ = ["bot_settings", "cluster", "settings_overrides", "slack"]

SECRET = "It's a Secret to Everybody"
EXAMPLES_PACKAGE = "@octokit/webhooks-examples"


def npm_cache() -> Path:
    """npm packages the tests install, kept between runs (installed once per machine)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "klepaas-tests"


@pytest.fixture(scope="session")
def github_examples() -> dict[str, list[dict[str, Any]]]:
    """GitHub's example payloads by event name, installed once per session with npm."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot fetch @octokit/webhooks-examples")
    prefix = npm_cache() / "webhooks-examples"
    index = prefix / "node_modules" / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"
    if not index.exists():
        done = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", EXAMPLES_PACKAGE],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(
                f"npm could not install {EXAMPLES_PACKAGE} (registry unreachable?): {done.stderr[-300:]}"
            )
    return {entry["name"]: entry["examples"] for entry in json.loads(index.read_text())}


def example(examples: dict[str, list[dict[str, Any]]], event: str, **match: Any) -> dict[str, Any]:
    for payload in examples[event]:
        if all(payload.get(k) == v for k, v in match.items()):
            return json.loads(json.dumps(payload))  # a copy the test may change
    raise AssertionError(f"no {event} example with {match}")


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(
        update={"integrations": IntegrationSettings(GITHUB_WEBHOOK_SECRET=SecretStr(SECRET))}
    )


@pytest.fixture
async def side_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotRunner]:
    services = await build_services(settings, planner=ScriptedPlanner(PLANNER_ANSWERS))
    runner = BotRunner(settings, services=services, owns_services=True, routes=[mcp_routes])
    connected = slack.hellos_sent
    try:
        await runner.start()
        await slack.wait_connected(connected + 1)
        assert runner.bot is not None
        runner.bot.deps.rollout_edit_interval = 0.0
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


def add_project(runner: BotRunner, **fields: Any) -> Project:
    assert runner.services is not None
    values: dict[str, Any] = {
        "repo": "Codertocat/Hello-World",
        "namespace": "staging",
        "production_namespace": "production",
        "deployment": "api",
        "image_template": "ghcr.io/klepaas/api:{short_sha}",
        "channel": "C0DEPLOY",
        "created_by": "U0ADMIN",
    } | fields
    return Projects(runner.services.storage.engine).add(**values)


def url(runner: BotRunner, path: str) -> str:
    assert runner.side is not None
    return runner.side.url + path
