"""Our own metrics, named by Prometheus conventions (`klepaas_` prefix, `_total`, `_seconds`).

Every layer may record (this module sits beside `config` and `errors`). The metrics live in a
`CollectorRegistry` of their own, not the client's global default: one `Metrics` per process,
reached through `metrics()`, and tests install a fresh one with `use_metrics()` so that their
counts do not leak into each other. `/metrics` on the side server serves `exposition()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "metrics", "use_metrics"]

# Latency buckets for things a person waits on (acks, commands, API calls): 5 ms .. 30 s.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

BreakerState = Literal["closed", "half_open", "open"]
_BREAKER_VALUE: dict[str, float] = {"closed": 0.0, "half_open": 1.0, "open": 2.0}


class Metrics:
    """The metric families of one process, in their own registry."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "klepaas_http_requests_total", "Requests to the side server.",
            ["method", "route", "status"], registry=r,
        )
        self.http_seconds = Histogram(
            "klepaas_http_request_duration_seconds", "Side server request latency.",
            ["method", "route"], buckets=_BUCKETS, registry=r,
        )
        self.slack_envelopes = Counter(
            "klepaas_slack_envelopes_total", "Socket Mode envelopes received, by type.", ["type"], registry=r
        )
        self.slack_ack_seconds = Histogram(
            "klepaas_slack_ack_duration_seconds", "From reading an envelope to its ack being sent.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 3.0), registry=r,
        )
        self.planner_decisions = Counter(
            "klepaas_planner_decisions_total",
            "Plans by source (rules, a provider, direct) and clarifying questions (source=clarify).",
            ["source"], registry=r,
        )
        self.commands = Counter(
            "klepaas_commands_total", "Commands by name and outcome (success, error, refused, cancelled).",
            ["command", "outcome"], registry=r,
        )
        self.deployments = Counter(
            "klepaas_deployments_total", "Deploys and rollbacks that ran, by command and outcome.",
            ["command", "outcome"], registry=r,
        )
        self.approvals = Counter(
            "klepaas_approvals_total", "Approvals asked for, by decision (approved, denied, unanswered).",
            ["decision"], registry=r,
        )
        self.external_calls = Counter(
            "klepaas_external_calls_total", "Calls to other services (llm, github, mcp, prometheus, slack).",
            ["service", "target", "outcome"], registry=r,
        )
        self.external_seconds = Histogram(
            "klepaas_external_call_duration_seconds", "Latency of calls to other services.",
            ["service", "target"], buckets=_BUCKETS, registry=r,
        )
        self.breaker_state = Gauge(
            "klepaas_circuit_breaker_state", "Circuit breaker state: 0 closed, 1 half open, 2 open.",
            ["breaker"], registry=r,
        )
        self.alerts = Counter(
            "klepaas_alerts_total", "Alerts by source (alertmanager, watcher) and what was done "
            "(posted, updated, unchanged, throttled, quiet, silenced).",
            ["source", "action"], registry=r,
        )
        self.watch_events = Counter(
            "klepaas_watch_events_total", "Cluster watch events processed, by kind and type.",
            ["kind", "type"], registry=r,
        )

    # ---- recording helpers ---------------------------------------------------------------------

    @contextmanager
    def external_call(self, service: str, target: str) -> Iterator[None]:
        """Time a call to another service; an exception counts as an error and is re-raised."""
        start = time.perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        finally:
            self.external_seconds.labels(service, target).observe(time.perf_counter() - start)
            self.external_calls.labels(service, target, outcome).inc()

    def set_breaker(self, breaker: str, state: BreakerState) -> None:
        self.breaker_state.labels(breaker).set(_BREAKER_VALUE[state])

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """One sample's current value (0 when absent): for tests and the console."""
        found = self.registry.get_sample_value(name, labels or {})
        return float(found) if found is not None else 0.0


_current: Metrics | None = None


def metrics() -> Metrics:
    """This process's metrics, created on first use."""
    global _current
    if _current is None:
        _current = Metrics()
    return _current


def use_metrics(instance: Metrics) -> Metrics:
    """Install `instance` as this process's metrics (tests: a fresh registry each)."""
    global _current
    _current = instance
    return instance
