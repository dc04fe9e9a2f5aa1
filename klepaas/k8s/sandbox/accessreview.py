"""SelfSubjectAccessReview (`kubectl auth can-i`): may the requesting user do this?"""

from __future__ import annotations

from klepaas.k8s.sandbox.auth import Attributes, Auth, UserInfo
from klepaas.k8s.sandbox.store import Obj, StoreError

DISCOVERY_PATHS = ("/api", "/apis", "/version", "/openapi")


def review(auth: Auth, user: UserInfo, body: Obj) -> Obj:
    """The review with its status filled in, as the API server answers it."""
    spec = body.get("spec") or {}
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if bool(resource) == bool(non_resource):
        raise StoreError(
            422, "Invalid",
            'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid '
            'value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
            {"group": "authorization.k8s.io", "kind": "SelfSubjectAccessReview", "causes": [{
                "reason": "FieldValueInvalid", "field": "spec.resourceAttributes",
                "message": "exactly one of nonResourceAttributes or resourceAttributes must be specified"}]})
    if resource:
        allowed = auth.allowed(user, Attributes(
            verb=str(resource.get("verb", "")), resource=str(resource.get("resource", "")),
            api_group=str(resource.get("group", "")), subresource=str(resource.get("subresource", "")),
            namespace=str(resource.get("namespace", "")), name=str(resource.get("name", ""))))
    else:
        non_resource = non_resource or {}
        path = str(non_resource.get("path", ""))
        allowed = user.is_admin or (non_resource.get("verb") == "get" and path.startswith(DISCOVERY_PATHS))
    status: Obj = {"allowed": allowed}
    if allowed:
        status["reason"] = f'RBAC: allowed by the sandbox rules for User "{user.name}"'
    return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}
