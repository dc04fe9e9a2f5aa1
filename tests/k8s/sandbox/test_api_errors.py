"""Errors come back as Status objects with the reasons and codes of a real API server."""

from __future__ import annotations

from kubernetes.client import ApiClient

from klepaas.k8s.sandbox.auth import Rule
from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.k8s.sandbox.api_helpers import (
    api_error,
    apps,
    call,
    client_for,
    core,
    deployment,
    http,
    namespace,
    raw,
    service,
    status_of,
)


async def test_reading_a_missing_deployment_is_not_found(kube_api: ApiClient) -> None:
    error = await api_error(apps(kube_api).read_namespaced_deployment, "ghost", "default")

    assert error.status == 404
    assert status_of(error) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "ghost" not found',
        "reason": "NotFound",
        "code": 404,
        "details": {"name": "ghost", "group": "apps", "kind": "deployments"},
    }


async def test_creating_in_a_missing_namespace_is_not_found(kube_api: ApiClient) -> None:
    error = await api_error(core(kube_api).create_namespaced_service, "nowhere", service("web"))

    assert error.status == 404 and status_of(error)["message"] == 'namespaces "nowhere" not found'


async def test_creating_a_duplicate_is_already_exists(kube_api: ApiClient) -> None:
    a = apps(kube_api)
    await call(a.create_namespaced_deployment, "default", deployment("web"))

    error = await api_error(a.create_namespaced_deployment, "default", deployment("web"))

    body = status_of(error)
    assert error.status == 409 and body["reason"] == "AlreadyExists"
    assert body["message"] == 'deployments.apps "web" already exists'


async def test_replace_with_stale_resource_version_is_a_conflict(kube_api: ApiClient) -> None:
    c = core(kube_api)
    first = await raw(c.create_namespaced_service, "default", service("web"))
    await call(c.patch_namespaced_service, "web", "default", {"metadata": {"labels": {"v": "2"}}})

    first["metadata"]["labels"] = {"v": "stale"}
    error = await api_error(c.replace_namespaced_service, "web", "default", first)

    body = status_of(error)
    assert error.status == 409 and body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on services "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


async def test_a_name_that_is_not_a_dns_subdomain_is_invalid(kube_api: ApiClient) -> None:
    error = await api_error(apps(kube_api).create_namespaced_deployment, "default", deployment("Bad_Name"))

    body = status_of(error)
    assert error.status == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith(
        'Deployment.apps "Bad_Name" is invalid: [metadata.name: Invalid value: '
        '"Bad_Name": a lowercase RFC 1123 subdomain must consist of'
    )
    assert body["details"]["kind"] == "Deployment" and body["details"]["group"] == "apps"
    assert {c["field"] for c in body["details"]["causes"]} >= {"metadata.name"}


async def test_service_and_namespace_names_must_be_dns_labels(kube_api: ApiClient) -> None:
    c = core(kube_api)
    bad_service = await api_error(c.create_namespaced_service, "default", service("1web"))
    bad_namespace = await api_error(c.create_namespace, namespace("a.b"))

    assert bad_service.status == 422 and "DNS-1035 label" in status_of(bad_service)["message"]
    assert bad_namespace.status == 422 and "RFC 1123 label" in status_of(bad_namespace)["message"]


async def test_a_deployment_without_selector_or_matching_labels_is_invalid(sandbox: SandboxCluster) -> None:
    no_selector = deployment("web")
    del no_selector["spec"]["selector"]
    mismatched = deployment("web")
    mismatched["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    no_image = deployment("web", containers=[{"name": "web"}])
    negative = deployment("web", replicas=-1)

    answers = [
        await http(sandbox, "POST", "/apis/apps/v1/namespaces/default/deployments", body=body)
        for body in (no_selector, mismatched, no_image, negative)
    ]

    causes = [[(c["reason"], c["field"]) for c in body["details"]["causes"]] for _, body, _ in answers]
    assert [status for status, _, _ in answers] == [422, 422, 422, 422]
    assert causes == [
        [("FieldValueRequired", "spec.selector")],
        [("FieldValueInvalid", "spec.template.metadata.labels")],
        [("FieldValueRequired", "spec.template.spec.containers[0].image")],
        [("FieldValueInvalid", "spec.replicas")],
    ]
    assert answers[0][1]["message"] == 'Deployment.apps "web" is invalid: spec.selector: Required value'


async def test_a_bad_label_selector_is_a_bad_request(kube_api: ApiClient) -> None:
    error = await api_error(core(kube_api).list_namespaced_pod, "default", label_selector="app in (a")

    assert error.status == 400 and status_of(error)["reason"] == "BadRequest"
    assert status_of(error)["message"].startswith("unable to parse requirement")


async def test_an_unsupported_field_selector_is_a_bad_request(kube_api: ApiClient) -> None:
    error = await api_error(
        apps(kube_api).list_namespaced_deployment, "default", field_selector="spec.paused=true"
    )

    assert error.status == 400 and status_of(error)["message"] == "field label not supported: spec.paused"


async def test_no_token_is_unauthorized(sandbox: SandboxCluster) -> None:
    anonymous = client_for(sandbox, None)
    wrong = client_for(sandbox, "not-a-token")

    errors = [await api_error(core(anonymous).list_namespace), await api_error(core(wrong).list_namespace)]

    for error in errors:
        assert error.status == 401
        assert status_of(error) == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }


async def test_a_user_without_a_rule_is_forbidden_with_the_real_message(sandbox: SandboxCluster) -> None:
    bob = client_for(sandbox, sandbox.auth.add_user("bob", groups=["dev"]))
    sandbox.auth.bind_role("bob", "view", namespaces=["production"])

    error = await api_error(apps(bob).patch_namespaced_deployment, "x", "production", {"spec": {}})

    body = status_of(error)
    assert error.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (
        'deployments.apps "x" is forbidden: User "bob" cannot patch resource '
        '"deployments" in API group "apps" in the namespace "production"'
    )
    assert body["details"] == {"name": "x", "group": "apps", "kind": "deployments"}


async def test_rules_are_scoped_by_namespace_and_subresource(
    sandbox: SandboxCluster, kube_api: ApiClient
) -> None:
    await call(apps(kube_api).create_namespaced_deployment, "default", deployment("web"))
    token = sandbox.auth.add_user("ops")
    sandbox.auth.grant("ops", Rule(("get", "patch"), ("deployments/scale",), ("apps",), ("default",)))
    ops = apps(client_for(sandbox, token))

    scaled = await call(ops.patch_namespaced_deployment_scale, "web", "default", {"spec": {"replicas": 2}})
    whole = await api_error(ops.read_namespaced_deployment, "web", "default")
    elsewhere = await api_error(ops.read_namespaced_deployment_scale, "web", "kube-system")
    everywhere = await api_error(ops.list_deployment_for_all_namespaces)

    assert scaled.spec.replicas == 2 and whole.status == 403 and elsewhere.status == 403
    assert status_of(everywhere)["message"] == (
        'deployments.apps is forbidden: User "ops" cannot list resource '
        '"deployments" in API group "apps" at the cluster scope'
    )


async def test_pod_logs_need_the_log_subresource(sandbox: SandboxCluster) -> None:
    token = sandbox.auth.add_user("reader")
    sandbox.auth.grant("reader", Rule(("get", "list"), ("pods",), ("",)))

    error = await api_error(core(client_for(sandbox, token)).read_namespaced_pod_log, "p", "default")

    assert error.status == 403
    assert status_of(error)["message"] == (
        'pods "p" is forbidden: User "reader" cannot get resource "pods/log" '
        'in API group "" in the namespace "default"'
    )


async def test_the_admin_may_impersonate_and_is_then_judged_as_that_user(sandbox: SandboxCluster) -> None:
    sandbox.auth.bind_role("sre", "view", namespaces=["default"], kind="Group")
    as_jane = client_for(
        sandbox, sandbox.admin_token, {"Impersonate-User": "jane", "Impersonate-Group": "sre"}
    )

    pods = await call(core(as_jane).list_namespaced_pod, "default")
    denied = await api_error(core(as_jane).delete_namespaced_service, "kubernetes", "default")

    assert pods.items == []
    assert (
        denied.status == 403
        and 'User "jane" cannot delete resource "services"' in status_of(denied)["message"]
    )


async def test_a_user_who_may_not_impersonate_is_refused(sandbox: SandboxCluster) -> None:
    token = sandbox.auth.add_user("bob")
    sandbox.auth.bind_role("bob", "admin")
    as_admin = client_for(sandbox, token, {"Impersonate-User": "sandbox-admin"})

    error = await api_error(core(as_admin).list_namespace)

    assert error.status == 403
    assert status_of(error)["message"] == (
        'users "sandbox-admin" is forbidden: User "bob" cannot impersonate '
        'resource "users" in API group "" at the cluster scope'
    )


async def test_impersonation_can_be_granted_for_some_users_only(sandbox: SandboxCluster) -> None:
    token = sandbox.auth.add_user("bot")
    sandbox.auth.allow_impersonation("bot", users=["jane"], groups=[])
    sandbox.auth.bind_role("jane", "view")

    allowed = await call(core(client_for(sandbox, token, {"Impersonate-User": "jane"})).list_namespace)
    refused = await api_error(core(client_for(sandbox, token, {"Impersonate-User": "root"})).list_namespace)

    assert "default" in [n.metadata.name for n in allowed.items] and refused.status == 403


async def test_an_unknown_path_is_not_found_and_a_wrong_method_is_not_allowed(
    sandbox: SandboxCluster,
) -> None:
    unknown, unknown_body, _ = await http(sandbox, "GET", "/apis/widgets.example.com/v1/widgets")
    wrong, wrong_body, _ = await http(
        sandbox, "POST", "/api/v1/namespaces/default/services/kubernetes", body={}
    )

    assert unknown == 404 and unknown_body["message"] == "the server could not find the requested resource"
    assert wrong == 405 and wrong_body["reason"] == "MethodNotAllowed"


async def test_field_validation_warn_names_unknown_fields_in_a_warning_header(
    sandbox: SandboxCluster,
) -> None:
    body = service("web")
    body["spec"]["colour"] = "blue"

    status, created, headers = await http(
        sandbox, "POST", "/api/v1/namespaces/default/services?fieldValidation=Warn", body=body
    )
    strict, refusal, _ = await http(
        sandbox, "POST", "/api/v1/namespaces/default/services?fieldValidation=Strict", body=body
    )

    assert status == 201 and created["metadata"]["name"] == "web"
    assert headers["Warning"] == '299 - "unknown field \\"spec.colour\\""'
    assert strict == 400 and refusal["message"].endswith('strict decoding error: unknown field "spec.colour"')
