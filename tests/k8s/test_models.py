"""Parsing API objects into the gateway's typed data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from klepaas.k8s.models import (
    cpu_cores,
    memory_bytes,
    parse_deployment,
    parse_endpoints,
    parse_event,
    parse_ingress,
    parse_node,
    parse_pod,
    to_jsonable,
)


@pytest.mark.parametrize(
    ("value", "cores"),
    [("100m", 0.1), ("1", 1.0), ("1.5", 1.5), ("250000u", 0.25), (2, 2.0), (None, None), ("bogus", None)],
)
def test_cpu_quantities_become_cores(value: object, cores: float | None) -> None:
    assert cpu_cores(value) == cores  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "size"),
    [("128Mi", 128 * 2**20), ("1Gi", 2**30), ("500M", 500_000_000), ("1e3", 1000), ("64Ki", 65536)],
)
def test_memory_quantities_become_bytes(value: str, size: int) -> None:
    assert memory_bytes(value) == size


def test_a_deployment_without_replicas_has_the_api_default_of_one() -> None:
    d = parse_deployment(
        {
            "metadata": {"name": "a", "namespace": "x"},
            "spec": {
                "selector": {
                    "matchLabels": {"app": "a"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}],
                }
            },
        }
    )

    assert d.replicas == 1
    assert d.label_selector == "app=a,tier in (web,api)"
    assert d.revision is None and d.images == []


def test_pod_status_reads_like_kubectl() -> None:
    def pod(**status: object) -> object:
        return parse_pod(
            {
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
                "status": {"phase": "Pending", **status},
            }
        )

    waiting = pod(
        containerStatuses=[
            {"name": "c", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ]
    )
    initialising = pod(
        initContainerStatuses=[
            {"name": "a", "state": {"terminated": {"exitCode": 0}}},
            {"name": "b", "state": {"running": {}}},
        ]
    )
    evicted = pod(reason="Evicted")

    assert waiting.display_status == "CrashLoopBackOff"  # type: ignore[attr-defined]
    assert initialising.display_status == "Init:1/2"  # type: ignore[attr-defined]
    assert evicted.display_status == "Evicted"  # type: ignore[attr-defined]


def test_endpoints_flatten_subsets_into_ready_and_not_ready_addresses() -> None:
    ep = parse_endpoints(
        {
            "metadata": {"name": "api"},
            "subsets": [
                {
                    "addresses": [{"ip": "10.0.0.1", "targetRef": {"kind": "Pod", "name": "api-1"}}],
                    "notReadyAddresses": [{"ip": "10.0.0.2"}],
                    "ports": [{"port": 8080, "name": "http"}],
                }
            ],
        }
    )

    assert [(a.ip, a.ready, a.pod) for a in ep.addresses] == [
        ("10.0.0.1", True, "api-1"),
        ("10.0.0.2", False, None),
    ]
    assert [p.port for p in ep.ports] == [8080]


def test_ingress_rules_name_their_services() -> None:
    ing = parse_ingress(
        {
            "metadata": {"name": "web"},
            "spec": {
                "rules": [
                    {
                        "host": "a.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
                "tls": [{"hosts": ["a.example.com"]}],
            },
        }
    )

    assert ing.services == {"web"}
    assert ing.rules[0].paths[0].port == "80"
    assert ing.tls_hosts == ("a.example.com",)


def test_nodes_know_their_roles_and_allocatable_resources() -> None:
    node = parse_node(
        {
            "metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "status": {
                "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    )

    assert node.roles == ["control-plane"]
    assert (node.allocatable.cpu, node.allocatable.memory, node.ready) == (3.8, 15 * 2**30, True)


def test_events_take_their_time_from_whichever_field_is_set() -> None:
    event = parse_event(
        {
            "metadata": {"name": "e", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "BackOff",
            "message": "Back-off restarting",
            "type": "Warning",
        }
    )

    assert event.last_seen == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert (event.involved.kind, event.count) == ("Pod", 1)


def test_typed_data_turns_into_json() -> None:
    d = parse_deployment(
        {
            "metadata": {"name": "a", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "a", "image": "i", "resources": {"requests": {"cpu": "100m"}}}
                        ]
                    }
                }
            },
        }
    )

    data = json.loads(json.dumps(to_jsonable(d)))

    assert data["meta"]["created"] == "2024-05-01T10:00:00+00:00"
    assert data["template"]["containers"][0]["resources"]["cpu_request"] == 0.1
