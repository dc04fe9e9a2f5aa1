"""What a request is about, read from its method and path as the API server's RequestInfo does."""

from __future__ import annotations

from dataclasses import dataclass

from klepaas.k8s.sandbox.store import RESOURCE_TYPES, ResourceType, StoreError

BY_GVR: dict[tuple[str, str, str], ResourceType] = {
    (rt.group, rt.version, rt.plural): rt for rt in RESOURCE_TYPES
}
# Served but not stored: reviews answered on the spot (POST only), listed in discovery.
VIRTUAL_TYPES: tuple[ResourceType, ...] = (
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
                 "selfsubjectaccessreview", namespaced=False, verbs=("create",)),
)


def _group_versions(types: tuple[ResourceType, ...]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for rt in types:
        if rt.version not in found.get(rt.group, ()):
            found[rt.group] = (*found.get(rt.group, ()), rt.version)
    return found


GROUP_VERSIONS = _group_versions(RESOURCE_TYPES)  # groups of stored resources
ALL_GROUP_VERSIONS = _group_versions(RESOURCE_TYPES + VIRTUAL_TYPES)  # everything discovery lists

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


@dataclass(frozen=True)
class RequestInfo:
    path: str
    method: str
    verb: str  # k8s verb for resource requests; lower-case HTTP method otherwise
    rt: ResourceType | None = None  # None: a non-resource request (discovery, /version, ...)
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    @property
    def is_resource(self) -> bool:
        return self.rt is not None

    @property
    def resource(self) -> str:
        """`deployments` or `deployments/scale`, as RBAC rules name it."""
        assert self.rt is not None
        return f"{self.rt.plural}/{self.subresource}" if self.subresource else self.rt.plural


def not_found_path() -> StoreError:
    return StoreError(404, "NotFound", "the server could not find the requested resource")


def parse_request(method: str, path: str, watch_param: str | None) -> RequestInfo:
    """Classify a request; raises 404 for an API path that names no resource we serve."""
    segments = [s for s in path.split("/") if s]
    non_resource = RequestInfo(path, method, method.lower())
    if not segments or segments[0] not in ("api", "apis"):
        return non_resource
    if segments[0] == "api":
        group, rest = "", segments[1:]
        if not rest:
            return non_resource
        version, rest = rest[0], rest[1:]
    else:
        if len(segments) < 3:
            return non_resource
        group, version, rest = segments[1], segments[2], segments[3:]
    if version in ALL_GROUP_VERSIONS.get(group, ()) and version not in GROUP_VERSIONS.get(group, ()):
        return non_resource  # a virtual group: its own routes answer
    if version not in GROUP_VERSIONS.get(group, ()):
        raise not_found_path()
    if not rest:
        return non_resource
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = BY_GVR.get((group, version, rest[2]))
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise not_found_path()
    rt = BY_GVR.get((group, version, rest[0]))
    if rt is None:
        raise not_found_path()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if rt.namespaced and namespace is None and name is not None:
        raise not_found_path()
    if subresource is not None and subresource not in rt.subresources:
        raise not_found_path()
    if legacy_watch and subresource is not None:
        raise not_found_path()
    return RequestInfo(path, method, _verb(method, name, subresource, legacy_watch, watch_param),
                       rt, namespace, name, subresource)


def _verb(method: str, name: str | None, subresource: str | None, legacy_watch: bool,
          watch_param: str | None) -> str:
    if method in ("GET", "HEAD"):
        if subresource is None and (legacy_watch or watch_param in _TRUE):
            return "watch"
        return "get" if name else "list"
    if method == "DELETE":
        return "delete" if name else "deletecollection"
    return _VERBS.get(method, method.lower())
