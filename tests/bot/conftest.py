"""Scenario fixtures: a local Slack, the sandbox cluster with its sample apps, and the real bot.

`start_bot()` builds the services from settings (SQLite file, kubeconfig of the sandbox) and
starts `BotRunner` against the local Slack, exactly as `klepaas run` does; calling it again after
`stop()` is a restart of the bot over the same database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from klepaas.bot.runner import BotRunner
from klepaas.commands.services import build_services
from klepaas.config import (
    HttpSettings,
    KubeSettings,
    PolicySettings,
    Settings,
    SlackSettings,
    StorageSettings,
)
from klepaas.handlers.slack.translate import clean_text, is_help
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.llm.plan import Clarify, Plan, PlanningContext
from klepaas.storage import AuditEntry, Storage
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.k8s.conftest import FAST


class ScriptedPlanner:
    """Free text the structured grammar does not read: answers from a table, else a question."""

    def __init__(self, answers: dict[str, Plan | Clarify] | None = None) -> None:
        self.answers = answers or {}

    async def plan(self, text: str, context: PlanningContext) -> Plan | Clarify:
        return self.answers.get(text, Clarify(question="Which app do you mean?"))


PLANNER_ANSWERS: dict[str, Plan | Clarify] = {
    "api 상태 알려줘": Plan(
        command="status", args={"name": "api", "namespace": "staging"}, source="rules", lang="ko"
    ),
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def cluster() -> AsyncIterator[SandboxCluster]:
    sandbox = SandboxCluster(
        with_samples=True, controller_options=dataclasses.replace(FAST, pod_ready_delay=0.05)
    )
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Per-test policy settings by environment name (e.g. KLEPAAS_APPROVAL_TTL)."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, slack: FakeSlack, cluster: SandboxCluster, settings_overrides: dict[str, Any]
) -> Settings:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    return Settings(
        slack=SlackSettings(
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.api_url
        ),
        kube=KubeSettings(KUBECONFIG=kubeconfig, KLEPAAS_ROLLOUT_TIMEOUT=30),
        storage=StorageSettings(DATABASE_URL=f"sqlite:///{tmp_path / 'klepaas.db'}"),
        policy=PolicySettings(**settings_overrides),
        http=HttpSettings(KLEPAAS_HTTP_HOST="127.0.0.1", KLEPAAS_HTTP_PORT=0),
    )


StartBot = Callable[[], Awaitable[BotRunner]]


@pytest.fixture
async def start_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[StartBot]:
    """Start the bot (again, for a restart); every bot started is stopped at the end."""
    runners: list[BotRunner] = []

    async def start() -> BotRunner:
        services = await build_services(settings, planner=ScriptedPlanner(PLANNER_ANSWERS))
        runner = BotRunner(settings, services=services, owns_services=True)
        runners.append(runner)
        connected = slack.hellos_sent
        await runner.start()
        await slack.wait_connected(connected + 1)
        assert runner.bot is not None
        runner.bot.deps.rollout_edit_interval = 0.0
        return runner

    try:
        yield start
    finally:
        for runner in reversed(runners):
            await runner.stop()


@pytest.fixture
async def bot(start_bot: StartBot) -> BotRunner:
    return await start_bot()


@pytest.fixture(autouse=True)
def every_slack_request_is_audited(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every scenario that ran the bot: each request the local Slack sent (slash command,
    mention, DM, Rollback button; retries counted once, bare `help` excluded) has its audit row."""
    if "start_bot" not in request.fixturenames:
        yield
        return
    slack: FakeSlack = request.getfixturevalue("slack")
    settings: Settings = request.getfixturevalue("settings")
    yield  # the bot is stopped before this continues: its tasks are done or marked interrupted
    attempts = slack_attempts(slack)
    if not attempts:
        return
    storage = Storage.open(settings.storage.database_url)
    try:
        rows = storage.audit.recent(10_000)
    finally:
        storage.close()
    missing = unaudited(attempts, rows)
    AUDIT_TALLY["attempts"] += len(attempts)
    AUDIT_TALLY["audited"] += len(attempts) - len(missing)
    assert not missing, f"requests without an audit row: {missing}"


AUDIT_TALLY = {"attempts": 0, "audited": 0}
Attempt = tuple[str, str, str | None]  # user, channel, text (None: the Rollback button)


def slack_attempts(slack: FakeSlack) -> list[Attempt]:
    attempts: list[Attempt] = []
    seen_events: set[str] = set()
    for envelope in slack.envelopes.values():
        payload = envelope.payload
        if envelope.type == "slash_commands":
            text = clean_text(payload.get("text", ""))
            if not is_help(text):
                attempts.append((payload["user_id"], payload["channel_id"], text))
        elif envelope.type == "events_api":
            event = payload["event"]
            if payload["event_id"] in seen_events:
                continue  # a retry of a delivery already counted
            seen_events.add(payload["event_id"])
            direct = event.get("type") == "message" and event.get("channel_type") == "im"
            if event.get("type") != "app_mention" and not direct:
                continue
            if event.get("subtype") or event.get("bot_id") or not event.get("user"):
                continue
            text = clean_text(event.get("text", ""))
            if not is_help(text):
                attempts.append((event["user"], event["channel"], text))
        elif envelope.type == "interactive":
            for action in payload.get("actions", []):
                if action["action_id"] == "rollback":
                    attempts.append((payload["user"]["id"], payload["channel"]["id"], None))
    return attempts


def unaudited(attempts: list[Attempt], rows: list[AuditEntry]) -> list[Attempt]:
    """The attempts no audit row accounts for (each row accounts for one attempt)."""
    free = list(rows)
    missing = []
    for user, channel, text in attempts:
        match = next(
            (
                row
                for row in free
                if row.actor_id == user
                and row.channel == channel
                and (row.text == text if text is not None else row.command == "rollback")
            ),
            None,
        )
        if match is None:
            missing.append((user, channel, text))
        else:
            free.remove(match)
    return missing


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if AUDIT_TALLY["attempts"]:
        terminalreporter.write_line(
            f"audit: {AUDIT_TALLY['audited']}/{AUDIT_TALLY['attempts']} Slack requests have their audit row"
        )
