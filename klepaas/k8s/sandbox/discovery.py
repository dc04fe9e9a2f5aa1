"""API discovery: /version, /api, /apis and the per group-version resource lists.

Both forms are served: the legacy documents (APIVersions, APIGroupList, APIGroup, APIResourceList)
and, when the client asks for it first in Accept (kubectl >= 1.30 does), aggregated discovery
(`apidiscovery.k8s.io/v2 APIGroupDiscoveryList`) for /api and /apis.
"""

from __future__ import annotations

from aiohttp import web

from klepaas.k8s.sandbox.requestinfo import ALL_GROUP_VERSIONS as GROUP_VERSIONS
from klepaas.k8s.sandbox.requestinfo import VIRTUAL_TYPES
from klepaas.k8s.sandbox.store import RESOURCE_TYPES, Obj, ResourceType
from klepaas.k8s.sandbox.wire import json_response

KUBERNETES_VERSION = "v1.32.4"
VERSION_INFO: Obj = {
    "major": "1",
    "minor": "32",
    "gitVersion": KUBERNETES_VERSION,
    "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T16:02:27Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_SUB_VERBS = ("get", "patch", "update")


def _verbs(rt: ResourceType) -> list[str]:
    if rt.kind == "Namespace":
        return [v for v in rt.verbs if v != "deletecollection"]
    return list(rt.verbs)


def _subresource_kind(rt: ResourceType, sub: str) -> tuple[str, str, str]:
    """(group, version, kind) of what a subresource returns."""
    if sub == "scale":
        return "autoscaling", "v1", "Scale"
    return rt.group, rt.version, rt.kind


def _types(group: str, version: str) -> list[ResourceType]:
    return [rt for rt in RESOURCE_TYPES + VIRTUAL_TYPES if rt.group == group and rt.version == version]


def resource_list(group: str, version: str) -> Obj:
    resources: list[Obj] = []
    for rt in _types(group, version):
        entry: Obj = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                      "kind": rt.kind, "verbs": _verbs(rt)}
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            sub_group, sub_version, sub_kind = _subresource_kind(rt, sub)
            sub_entry: Obj = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced,
                              "kind": sub_kind, "verbs": ["get"] if sub == "log" else list(_SUB_VERBS)}
            if sub == "scale":
                sub_entry.update(group=sub_group, version=sub_version)
            resources.append(sub_entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}


def _group(name: str) -> Obj:
    versions = [{"groupVersion": f"{name}/{v}", "version": v} for v in GROUP_VERSIONS[name]]
    return {"name": name, "versions": versions, "preferredVersion": versions[0]}


def _aggregated_group(name: str) -> Obj:
    versions = []
    for version in GROUP_VERSIONS[name]:
        resources = []
        for rt in _types(name, version):
            entry: Obj = {"resource": rt.plural,
                          "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
                          "scope": "Namespaced" if rt.namespaced else "Cluster",
                          "singularResource": rt.singular, "verbs": _verbs(rt)}
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            subs = []
            for sub in rt.subresources:
                sub_group, sub_version, sub_kind = _subresource_kind(rt, sub)
                subs.append({"subresource": sub,
                             "responseKind": {"group": sub_group, "version": sub_version, "kind": sub_kind},
                             "verbs": ["get"] if sub == "log" else list(_SUB_VERBS)})
            if subs:
                entry["subresources"] = subs
            resources.append(entry)
        versions.append({"version": version, "resources": resources, "freshness": "Current"})
    metadata: Obj = {"creationTimestamp": None}
    if name:
        metadata["name"] = name
    return {"metadata": metadata, "versions": versions}


def wants_aggregated(accept: str | None) -> bool:
    first = (accept or "").split(",")[0]
    params = {p.strip() for p in first.split(";")[1:]}
    return {"g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"} <= params


def _aggregated(groups: list[str]) -> web.Response:
    body = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": [_aggregated_group(g) for g in groups]}
    return json_response(body, content_type=AGGREGATED)


def _named_groups() -> list[str]:
    return [g for g in GROUP_VERSIONS if g]


def discovery_response(path: str, accept: str | None, server_address: str) -> web.Response | None:
    """The discovery document for `path`, or None if `path` is not a discovery path."""
    parts = [p for p in path.split("/") if p]
    if parts == ["api"]:
        if wants_aggregated(accept):
            return _aggregated([""])
        return json_response({"kind": "APIVersions", "versions": list(GROUP_VERSIONS[""]),
                              "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                              "serverAddress": server_address}]})
    if parts == ["apis"]:
        if wants_aggregated(accept):
            return _aggregated(_named_groups())
        return json_response({"kind": "APIGroupList", "apiVersion": "v1",
                              "groups": [_group(g) for g in _named_groups()]})
    if len(parts) == 2 and parts[0] == "api" and parts[1] in GROUP_VERSIONS[""]:
        return json_response(resource_list("", parts[1]))
    if len(parts) == 2 and parts[0] == "apis" and parts[1] in _named_groups():
        return json_response({"kind": "APIGroup", "apiVersion": "v1", **_group(parts[1])})
    if len(parts) == 3 and parts[0] == "apis" and parts[2] in GROUP_VERSIONS.get(parts[1], ()):
        return json_response(resource_list(parts[1], parts[2]))
    return None
