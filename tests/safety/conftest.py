"""Services built as a front door builds them, with the test policy file, over the sandbox cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from klepaas.commands.services import Services, build_services
from klepaas.config import KubeSettings, LLMSettings, PolicySettings, Settings, StorageSettings
from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.conftest import kubeconfig_path, sandbox  # noqa: F401  (fixtures, re-exported)
from tests.safety.policies import POLICY_YAML


def safety_settings(kubeconfig: Path, tmp_path: Path) -> Settings:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY_YAML, encoding="utf-8")
    return Settings(
        kube=KubeSettings(kubeconfig=kubeconfig, context="klepaas-sandbox"),
        storage=StorageSettings(database_url=f"sqlite:///{tmp_path / 'safety.db'}"),
        llm=LLMSettings(providers=""),
        policy=PolicySettings(policy_file=policy_file),
    )


@pytest.fixture
async def services(
    sandbox: SandboxCluster,  # noqa: F811
    kubeconfig_path: Path,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Services]:
    built = await build_services(safety_settings(kubeconfig_path, tmp_path))
    try:
        yield built
    finally:
        await built.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(samples=False, ...): configure the sandbox fixture")
