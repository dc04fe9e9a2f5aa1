from __future__ import annotations

import pytest

from tests.k8s.conftest import kubeconfig_path, sandbox  # noqa: F401  (fixtures, re-exported)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(samples=False, ...): configure the sandbox fixture")
