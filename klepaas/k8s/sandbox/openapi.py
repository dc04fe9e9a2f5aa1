"""A minimal OpenAPI v3 surface: enough for kubectl to see that the server validates fields itself.

kubectl (`--validate=strict`, the default) asks `/openapi/v3` whether PATCH of a kind accepts the
`fieldValidation` query parameter; if so it leaves validation to the server instead of downloading
schemas. Each group-version document therefore lists, per resource, the PATCH operation with its
`x-kubernetes-group-version-kind` and the `fieldValidation` parameter. No schemas are served.
"""

from __future__ import annotations

import hashlib
from functools import cache

import orjson

from klepaas.k8s.sandbox.discovery import KUBERNETES_VERSION
from klepaas.k8s.sandbox.requestinfo import GROUP_VERSIONS
from klepaas.k8s.sandbox.store import RESOURCE_TYPES, Obj

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


@cache
def group_version_document(group: str, version: str) -> bytes:
    paths: Obj = {}
    for rt in RESOURCE_TYPES:
        if rt.group != group or rt.version != version:
            continue
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        path = f"/{_gv_path(group, version)}{scope}/{rt.plural}/{{name}}"
        paths[path] = {"patch": {
            "operationId": f"patch{rt.kind}",
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": rt.kind},
            "parameters": [{"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                           for p in _QUERY_PARAMS],
            "responses": {"200": {"description": "OK"}},
        }}
    return orjson.dumps({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
                         "paths": paths, "components": {"schemas": {}}})


def index_document() -> bytes:
    paths: Obj = {}
    for group, versions in GROUP_VERSIONS.items():
        for version in versions:
            digest = hashlib.sha512(group_version_document(group, version)).hexdigest()[:32].upper()
            rel = _gv_path(group, version)
            paths[rel] = {"serverRelativeURL": f"/openapi/v3/{rel}?hash={digest}"}
    return orjson.dumps({"paths": paths})


def document_for(path: str) -> bytes | None:
    """The document served at `path` (under /openapi/v3), or None."""
    rest = path.removeprefix("/openapi/v3").strip("/")
    if not rest:
        return index_document()
    parts = rest.split("/")
    if len(parts) == 2 and parts[0] == "api" and parts[1] in GROUP_VERSIONS.get("", ()):
        return group_version_document("", parts[1])
    if len(parts) == 3 and parts[0] == "apis" and parts[2] in GROUP_VERSIONS.get(parts[1], ()):
        return group_version_document(parts[1], parts[2])
    return None
