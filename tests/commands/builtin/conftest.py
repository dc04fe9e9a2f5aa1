"""Fixtures for the built-in commands: a sandbox cluster with the sample apps, and contexts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from klepaas.commands.builtin import build_registry
from klepaas.commands.context import Actor, CommandContext
from klepaas.commands.registry import Registry
from klepaas.commands.result import Result
from klepaas.config import KubeSettings, Settings
from klepaas.k8s.clusters import KubeClusters
from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.conftest import FAST
from tests.k8s.gateway_helpers import samples_ready

MakeContext = Callable[..., CommandContext]
Run = Callable[..., Awaitable[Result]]


@pytest.fixture
async def cluster() -> AsyncIterator[SandboxCluster]:
    sandbox = SandboxCluster(with_samples=True, controller_options=FAST)
    await sandbox.start()
    try:
        await samples_ready(sandbox)
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
def settings(cluster: SandboxCluster, tmp_path: Path) -> Settings:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    return Settings(kube=KubeSettings(kubeconfig=kubeconfig, max_replicas=20, list_page_size=50))


@pytest.fixture
def clusters(settings: Settings) -> Iterator[KubeClusters]:
    made = KubeClusters(settings.kube)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def registry() -> Registry:
    return build_registry()


@pytest.fixture
def make_ctx(settings: Settings, clusters: KubeClusters, registry: Registry) -> MakeContext:
    def make(lang: str = "en", allowed: list[str] | None = None, actor: str = "U123") -> CommandContext:
        return CommandContext(
            settings=settings,
            clusters=clusters,
            registry=registry,
            actor=Actor(id=actor, source="console", name="jane"),
            lang=lang,  # type: ignore[arg-type]
            allowed_namespaces=allowed or [],
        )

    return make


@pytest.fixture
def run(make_ctx: MakeContext, registry: Registry) -> Run:
    """Run a command by name with raw arguments, validated as the pipeline would."""

    async def run_command(
        command: str,
        *,
        lang: str = "en",
        allowed: list[str] | None = None,
        preview: bool = False,
        **args: Any,
    ) -> Result:
        spec = registry.get(command)
        parsed = spec.args_model.model_validate(args)
        ctx = make_ctx(lang, allowed)
        fn = spec.preview if preview else spec.run
        assert fn is not None, f"{command} has no preview"
        result = await fn(ctx, parsed)
        result.model_dump_json()  # every result must serialise
        return result

    return run_command
