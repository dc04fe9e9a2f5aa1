"""Finding each app's pods by index gives what a scan of every pod gives."""

from __future__ import annotations

from typing import Any

from klepaas.commands.builtin._common import PodIndex, by_namespace, pods_of
from klepaas.k8s.models import Deployment, Pod, parse_deployment, parse_pod


def deployment(namespace: str, name: str, selector: dict[str, str]) -> Deployment:
    obj: dict[str, Any] = {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": selector}, "template": {"metadata": {"labels": selector}}},
    }
    return parse_deployment(obj)


def pod(namespace: str, name: str, labels: dict[str, str]) -> Pod:
    return parse_pod({"metadata": {"name": name, "namespace": namespace, "labels": labels}})


PODS = [
    pod("a", "web-1", {"app": "web", "tier": "front"}),
    pod("a", "web-2", {"app": "web", "tier": "back"}),
    pod("a", "api-1", {"app": "api"}),
    pod("b", "web-1", {"app": "web", "tier": "front"}),
    pod("a", "web-3", {"app": "web", "tier": "front"}),
    pod("a", "bare", {}),
]


def test_an_apps_pods_are_those_its_selector_matches_in_its_namespace_in_the_same_order() -> None:
    index = PodIndex(PODS)
    apps = [
        deployment("a", "web", {"app": "web"}),
        deployment("a", "front", {"app": "web", "tier": "front"}),
        deployment("b", "web", {"app": "web"}),
        deployment("a", "api", {"app": "api"}),
        deployment("c", "web", {"app": "web"}),
        deployment("a", "none", {}),
        deployment("a", "missing", {"app": "web", "tier": "middle"}),
    ]

    for app in apps:
        assert [p.name for p in index.of(app)] == [p.name for p in pods_of(app, PODS)], app.name
    assert [p.name for p in index.of(apps[1])] == ["web-1", "web-3"]


def test_objects_are_grouped_by_namespace_in_their_order() -> None:
    grouped = by_namespace(PODS)
    assert {ns: [p.name for p in pods] for ns, pods in grouped.items()} == {
        "a": ["web-1", "web-2", "api-1", "web-3", "bare"],
        "b": ["web-1"],
    }
