from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from klepaas.commands.appnames import AppNameSource, StaticAppNames
from klepaas.commands.pipeline import Pipeline
from klepaas.commands.policy import ChannelBinding, DefaultPolicy, StaticBindings
from klepaas.commands.services import Services, build_services
from klepaas.config import KubeSettings, LLMSettings, PolicySettings, Settings, StorageSettings
from klepaas.k8s.clusters import KubeClusters
from klepaas.llm.plan import Clarify, Plan, PlanningContext
from klepaas.storage import Storage
from tests.commands.fake_registry import Calls, build_fake_registry
from tests.k8s.conftest import kubeconfig_path, sandbox  # noqa: F401  (fixtures, re-exported)


class ScriptedPlanner:
    """A planner that answers from a table of utterances; anything else is a clarifying question."""

    def __init__(self, answers: dict[str, Plan | Clarify] | None = None) -> None:
        self.answers = answers or {}
        self.asked: list[tuple[str, PlanningContext]] = []

    async def plan(self, text: str, context: PlanningContext) -> Plan | Clarify:
        self.asked.append((text, context))
        return self.answers.get(text, Clarify(question="Which app do you mean?"))


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    opened = Storage.open(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def planner() -> ScriptedPlanner:
    return ScriptedPlanner()


MakePipeline = Callable[..., Pipeline]


@pytest.fixture
def make_pipeline(calls: Calls, storage: Storage, planner: ScriptedPlanner) -> MakePipeline:
    """A pipeline over the fake registry; keyword options adjust policy settings and bindings."""

    def make(
        *,
        require_approval_for_write: bool = True,
        channels: dict[str, ChannelBinding] | None = None,
        with_planner: bool = True,
        app_names: AppNameSource | None = None,
    ) -> Pipeline:
        settings = Settings(
            policy=PolicySettings(require_approval_for_write=require_approval_for_write),
            kube=KubeSettings(production_namespace="production"),
        )
        bindings = StaticBindings(channels or {})
        return Pipeline(
            settings=settings,
            registry=build_fake_registry(calls),
            clusters=cast(KubeClusters, _NoClusters()),
            storage=storage,
            policy=DefaultPolicy(settings, bindings),
            planner=planner if with_planner else None,
            bindings=bindings,
            app_names=app_names or StaticAppNames(),
        )

    return make


class _NoClusters:
    """The fake commands never reach a cluster."""

    def get(self, name: str | None = None) -> Any:
        raise AssertionError("the fake commands do not use a cluster")

    def close(self) -> None:
        pass


# ---- the real command set against the sandbox cluster ------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(samples=False, ...): configure the sandbox fixture")


def sandbox_settings(kubeconfig: Path, database: Path, **policy: Any) -> Settings:
    return Settings(
        kube=KubeSettings(kubeconfig=kubeconfig, context="klepaas-sandbox"),
        storage=StorageSettings(database_url=f"sqlite:///{database}"),
        llm=LLMSettings(providers=""),
        policy=PolicySettings(**policy),
    )


@pytest.fixture
async def live_services(kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Services]:  # noqa: F811
    """Services as a front door builds them: the real registry, rules planner, SQLite, the sandbox."""
    services = await build_services(sandbox_settings(kubeconfig_path, tmp_path / "live.db"))
    try:
        yield services
    finally:
        await services.close()
