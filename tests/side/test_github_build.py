"""`build <app>`: the repository's workflow started through PyGithub against a local GitHub API,
as a GitHub App (app id + private key → a JWT → an installation token) or with a token, and every
attempt audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from klepaas.bot.runner import BotRunner
from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.commands.services import Services, build_services
from klepaas.config import GitHubSettings, PolicySettings, Settings
from klepaas.storage import AuditEntry
from klepaas.storage.projects import Projects
from tests.bot.conftest import ScriptedPlanner
from tests.fakes.github_api import FakeGitHub
from tests.fakes.slack_server import FakeSlack

APP_ID = 4242
INSTALLATION = 77
PAT = "ghp_local_test_token"
REPO = "acme/api"


@pytest.fixture(scope="module")
def app_key() -> tuple[str, bytes]:
    """A throwaway GitHub App key: (private key PEM, public key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture
async def github(app_key: tuple[str, bytes]) -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(token=PAT, app_id=APP_ID, app_public_key=app_key[1]) as server:
        server.add_repo(REPO, ("build.yml", True), ("lint.yml", False), installation_id=INSTALLATION)
        yield server


def _with_github(settings: Settings, **github: Any) -> Settings:
    return settings.model_copy(
        update={
            "github": GitHubSettings(**github),
            # `build` is a write: without the approval step here, it runs when asked.
            "policy": PolicySettings(KLEPAAS_REQUIRE_APPROVAL_WRITE=False),
        }
    )


@pytest.fixture
async def services_for(settings: Settings, github: FakeGitHub) -> AsyncIterator[Any]:
    opened: list[Services] = []

    async def make(**github_settings: Any) -> Services:
        services = await build_services(
            _with_github(settings, GITHUB_API_URL=github.url, **github_settings), planner=ScriptedPlanner()
        )
        opened.append(services)
        Projects(services.storage.engine).add(
            repo=REPO,
            namespace="staging",
            deployment="api",
            image_template="ghcr.io/acme/api:{sha}",
            channel="C0DEPLOY",
            created_by="U0ADMIN",
            workflow="build.yml",
        )
        return services

    try:
        yield make
    finally:
        for services in opened:
            await services.close()


async def _build(services: Services, **args: Any) -> tuple[str, str, AuditEntry]:
    request = Request(actor=Actor(id="U0ALICE", source="console"), command="build", args=args)
    outcome = await services.pipeline().handle(request)
    audit = services.storage.audit.recent(1)[0]
    return outcome.result.status, outcome.result.summary, audit


async def test_build_as_a_github_app_signs_a_jwt_gets_an_installation_token_and_dispatches(
    services_for: Any, github: FakeGitHub, app_key: tuple[str, bytes]
) -> None:
    services = await services_for(GITHUB_APP_ID=APP_ID, GITHUB_APP_PRIVATE_KEY=SecretStr(app_key[0]))

    status, summary, audit = await _build(services, name="api")

    assert (status, summary) == ("success", f"Started workflow build.yml of {REPO} on main.")
    [dispatch] = github.dispatches
    assert (dispatch.repo, dispatch.ref, dispatch.credential) == (REPO, "main", "installation")
    assert [str(c["iss"]) for c in github.jwt_claims] == [str(APP_ID), str(APP_ID)]  # installation, token
    assert len(github.installation_tokens) == 1
    assert (audit.actor_id, audit.command, audit.arguments, audit.outcome) == (
        "U0ALICE",
        "build",
        {"name": "api"},
        "success",
    )


async def test_build_with_a_token_dispatches_the_named_workflow_on_the_named_ref(
    services_for: Any, github: FakeGitHub
) -> None:
    github.repos[REPO].branches.add("release-1.2")
    services = await services_for(GITHUB_TOKEN=SecretStr(PAT))

    status, summary, audit = await _build(services, name="api", ref="release-1.2")

    assert (status, summary) == ("success", f"Started workflow build.yml of {REPO} on release-1.2.")
    assert [(d.repo, d.ref, d.credential) for d in github.dispatches] == [(REPO, "release-1.2", "token")]
    assert github.jwt_claims == []
    assert (audit.command, audit.outcome) == ("build", "success")


async def test_a_missing_workflow_is_a_clear_message_and_nothing_is_dispatched(
    services_for: Any, github: FakeGitHub
) -> None:
    services = await services_for(GITHUB_TOKEN=SecretStr(PAT))

    status, summary, audit = await _build(services, name="api", workflow="deploy.yml")

    assert status == "error"
    assert summary == f"GitHub knows no such repository or workflow: {REPO}"
    assert github.dispatches == []
    assert (audit.command, audit.outcome, audit.error) == ("build", "failure", summary)


async def test_a_workflow_without_a_dispatch_trigger_is_refused_with_the_reason(
    services_for: Any, github: FakeGitHub
) -> None:
    services = await services_for(GITHUB_TOKEN=SecretStr(PAT))

    status, summary, _ = await _build(services, name="api", workflow="lint.yml")

    assert status == "error"
    assert "no workflow_dispatch trigger" in summary
    assert github.dispatches == []


@pytest.mark.parametrize(
    ("refusal", "message", "hint"),
    [
        (401, "GitHub refused our credentials", "check GITHUB_TOKEN or the GitHub App key"),
        (403, f"GitHub does not allow this on {REPO}", "the token or app needs Actions: write"),
    ],
)
async def test_a_401_or_403_from_github_is_a_clear_message_and_an_audited_failure(
    services_for: Any, github: FakeGitHub, refusal: int, message: str, hint: str
) -> None:
    github.refuse(REPO, refusal)
    services = await services_for(GITHUB_TOKEN=SecretStr(PAT))

    status, summary, audit = await _build(services, name="api")

    assert (status, summary) == ("error", message)
    assert github.dispatches == []
    assert (audit.command, audit.outcome, audit.error) == ("build", "failure", f"{message} — {hint}")


async def test_a_wrong_app_key_is_refused_by_github_and_told_as_bad_credentials(
    services_for: Any, github: FakeGitHub
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    services = await services_for(GITHUB_APP_ID=APP_ID, GITHUB_APP_PRIVATE_KEY=SecretStr(other.decode()))

    status, summary, _ = await _build(services, name="api")

    assert (status, summary) == ("error", "GitHub refused our credentials")
    assert github.installation_tokens == {} and github.dispatches == []


async def test_build_without_github_credentials_names_the_settings_to_set(services_for: Any) -> None:
    services = await services_for()

    status, summary, audit = await _build(services, name="api")

    assert (status, summary) == ("error", "GitHub is not configured")
    assert (audit.command, audit.outcome) == ("build", "failure")


async def test_build_of_an_app_no_project_builds_names_how_to_add_one(services_for: Any) -> None:
    services = await services_for(GITHUB_TOKEN=SecretStr(PAT))

    status, summary, _ = await _build(services, name="billing")

    assert (status, summary) == ("error", "No project builds billing.")


@pytest.fixture
async def build_bot(settings: Settings, slack: FakeSlack, github: FakeGitHub) -> AsyncIterator[BotRunner]:
    configured = _with_github(settings, GITHUB_API_URL=github.url, GITHUB_TOKEN=SecretStr(PAT))
    services = await build_services(configured, planner=ScriptedPlanner())
    runner = BotRunner(configured, services=services, owns_services=True)
    connected = slack.hellos_sent
    try:
        await runner.start()
        await slack.wait_connected(connected + 1)
        yield runner
    finally:
        await runner.stop()


async def test_slash_klepaas_build_starts_the_workflow_and_says_so_in_the_channel(
    slack: FakeSlack, github: FakeGitHub, build_bot: BotRunner
) -> None:
    assert build_bot.services is not None
    Projects(build_bot.services.storage.engine).add(
        repo=REPO,
        namespace="staging",
        deployment="api",
        image_template="ghcr.io/acme/api:{sha}",
        channel="C0DEPLOY",
        created_by="U0ADMIN",
        workflow="build.yml",
    )

    await slack.send_slash_command("build api", user="U0ALICE", channel="C0GENERAL")
    message = await slack.wait_for(
        lambda: next(iter(slack.channel_messages("C0GENERAL")), None), 20, what="the build reply"
    )

    assert f"Started workflow build.yml of {REPO} on main." in message.text
    assert [(d.repo, d.credential) for d in github.dispatches] == [(REPO, "token")]
