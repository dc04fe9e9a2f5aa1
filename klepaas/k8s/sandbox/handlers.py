"""The REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection,
and the status, scale and log subresources. Routing, authentication and errors live in server.py."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from klepaas.k8s.sandbox.auth import Auth
from klepaas.k8s.sandbox.defaults import apply_defaults
from klepaas.k8s.sandbox.faults import Faults
from klepaas.k8s.sandbox.fieldvalidation import check_fields
from klepaas.k8s.sandbox.namespaces import NamespaceLifecycle
from klepaas.k8s.sandbox.pagination import Paginator
from klepaas.k8s.sandbox.patch import APPLY, PATCH_TYPES, apply_patch, unsupported_patch
from klepaas.k8s.sandbox.requestinfo import RequestInfo
from klepaas.k8s.sandbox.selectors import parse_field_selector, parse_label_selector, selector_from_spec
from klepaas.k8s.sandbox.store import Obj, ResourceType, Store, StoreError, conflict, now_rfc3339
from klepaas.k8s.sandbox.tables import partial_metadata, to_table
from klepaas.k8s.sandbox.validation import validate, validate_scale_replicas
from klepaas.k8s.sandbox.watch import WatchRequest, WatchStream
from klepaas.k8s.sandbox.wire import (
    TABLE_CONTENT_TYPE,
    json_response,
    negotiate,
    read_body,
    read_object,
    success_status,
)

PodLog = Callable[..., str]  # logs.pod_log(pod, *, container, tail_lines, since_seconds, previous, ...)
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # what the API server uses for generateName suffixes
_TRUE = ("1", "t", "T", "TRUE", "true", "True")


@dataclass
class ServerOptions:
    bookmark_interval: float = 30.0  # seconds between BOOKMARK events on a quiet watch that asked for them
    max_list_snapshots: int = 64  # continue tokens kept alive at once
    namespace_termination: float = 0.5  # seconds a deleted namespace stays Terminating before it goes


@dataclass
class ServerState:
    """Everything the HTTP layer works on."""

    store: Store
    auth: Auth
    faults: Faults
    pod_log: PodLog
    options: ServerOptions = field(default_factory=ServerOptions)
    paginator: Paginator = field(init=False)
    namespaces: NamespaceLifecycle = field(init=False)

    def __post_init__(self) -> None:
        self.paginator = Paginator(self.options.max_list_snapshots)
        self.namespaces = NamespaceLifecycle(self.store, self.options.namespace_termination)


def bad_request(message: str) -> StoreError:
    return StoreError(400, "BadRequest", message)


def method_not_allowed() -> StoreError:
    return StoreError(405, "MethodNotAllowed",
                      "the server does not allow this method on the requested resource")


def _int_param(query: Any, name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request(f'{name}: Invalid value: "{raw}": must be an integer') from exc


def _dry_run(values: list[str]) -> bool:
    for value in values:
        if value != "All":
            raise bad_request(f'Invalid dry run argument: dryRun: Unsupported value: "{value}": '
                              'supported values: "All"')
    return bool(values)


def _warning_headers(warnings: list[str]) -> dict[str, str]:
    """Warning headers as the API server sends them (299, agent "-")."""
    if not warnings:
        return {}
    return {"Warning": ", ".join('299 - "' + w.replace('"', '\\"') + '"' for w in warnings)}


def _check_type(rt: ResourceType, body: Obj) -> None:
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version and api_version != rt.api_version:
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                          f"version ({rt.api_version})")
    if kind and kind != rt.kind:
        raise bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
    if not isinstance(body.get("metadata", {}), dict):
        raise bad_request("metadata must be an object")


class Handlers:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.store = state.store

    # ---- dispatch ------------------------------------------------------------------------------
    async def handle(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        assert rt is not None
        sub, verb = info.subresource, info.verb
        if sub == "log":
            if verb != "get":
                raise method_not_allowed()
            return self.log(request, info)
        if sub == "scale":
            return await self.scale(request, info)
        if sub == "status" and verb not in ("get", "update", "patch"):
            raise method_not_allowed()
        if verb == "get":
            return self.get(request, info)
        if verb == "list":
            return self.list_(request, info)
        if verb == "watch":
            return await self.watch(request, info)
        if verb == "create":
            if info.name:
                raise method_not_allowed()
            return await self.create(request, info)
        if verb == "update":
            return await self.update(request, info)
        if verb == "patch":
            return await self.patch(request, info)
        if verb == "delete":
            return await self.delete(request, info)
        if verb == "deletecollection" and rt.kind != "Namespace":
            return await self.delete_collection(request, info)
        raise method_not_allowed()

    # ---- reads ---------------------------------------------------------------------------------
    def _render_one(self, request: web.Request, rt: ResourceType, obj: Obj,
                    status: int = 200) -> web.Response:
        rep = negotiate(request.headers.get("Accept"))
        if rep.kind == "Table":
            table = to_table(rt, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                             request.query.get("includeObject", "Metadata"))
            return json_response(table, status, TABLE_CONTENT_TYPE)
        if rep.kind == "PartialObjectMetadata":
            return json_response(partial_metadata(obj), status)
        return json_response(obj, status)

    def get(self, request: web.Request, info: RequestInfo) -> web.Response:
        assert info.rt is not None and info.name is not None
        return self._render_one(request, info.rt, self.store.peek(info.rt, info.namespace, info.name))

    def list_(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None
        query = request.query
        rep = negotiate(request.headers.get("Accept"))
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), rt)
        limit = _int_param(query, "limit")
        token = query.get("continue")
        paginator = self.state.paginator
        if token:
            page = paginator.next(token, limit, self.store.oldest_resource_version)
        else:
            name = fields.name()
            if name is not None and (info.namespace or not rt.namespaced):
                found = self.store.find(rt, info.namespace, name)
                candidates = [found] if found is not None else []
            else:
                candidates = self.store.list(rt, info.namespace)
            if not labels.empty or not fields.empty:
                candidates = [o for o in candidates if labels.matches_object(o) and fields.matches(o)]
            page = paginator.first(candidates, limit, self.store.resource_version)
        meta: Obj = {"resourceVersion": str(page.resource_version)}
        if page.continue_token:
            meta["continue"] = page.continue_token
            meta["remainingItemCount"] = page.remaining
        if rep.kind == "Table":
            table = to_table(rt, page.items, meta, query.get("includeObject", "Metadata"))
            return json_response(table, content_type=TABLE_CONTENT_TYPE)
        if rep.kind == "PartialObjectMetadata":
            return json_response({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                                  "metadata": meta, "items": [partial_metadata(o) for o in page.items]})
        return json_response({"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta,
                              "items": page.items})

    async def watch(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        assert rt is not None
        query = request.query
        rep = negotiate(request.headers.get("Accept"))
        fields = parse_field_selector(query.get("fieldSelector"), rt)
        if info.name:  # legacy /watch/namespaces/x/pods/NAME
            fields = parse_field_selector(
                ",".join(filter(None, [query.get("fieldSelector"), f"metadata.name={info.name}"])), rt)
        raw_rv = query.get("resourceVersion", "")
        if raw_rv not in ("", "0") and not raw_rv.isdigit():
            raise bad_request(f'resourceVersion: Invalid value: "{raw_rv}": must be an integer')
        include = query.get("includeObject", "Metadata")

        def render(obj: Obj) -> Obj:
            if rep.kind == "Table":
                return to_table(rt, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                                include)
            return partial_metadata(obj) if rep.kind == "PartialObjectMetadata" else obj

        timeout = _int_param(query, "timeoutSeconds")
        req = WatchRequest(
            rt=rt, namespace=info.namespace, labels=parse_label_selector(query.get("labelSelector")),
            fields=fields, resource_version=int(raw_rv) if raw_rv not in ("", "0") else None,
            timeout=float(timeout) if timeout else None,
            bookmarks=query.get("allowWatchBookmarks") in _TRUE,
            send_initial_events=query.get("sendInitialEvents") in _TRUE,
            budget=self.state.faults.watch_budget(info), table=rep.kind == "Table")
        stream = WatchStream(self.store, req, render, self.state.options.bookmark_interval)
        return await stream.serve(request)

    # ---- writes --------------------------------------------------------------------------------
    def _namespace_body(self, info: RequestInfo, body: Obj) -> Obj:
        rt = info.rt
        assert rt is not None
        _check_type(rt, body)
        meta: Obj = body.setdefault("metadata", {})
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != info.namespace:
                raise bad_request("the namespace of the provided object does not match the namespace sent "
                                  "on the request")
            if info.namespace:
                meta["namespace"] = info.namespace
        else:
            meta.pop("namespace", None)
        body["apiVersion"], body["kind"] = rt.api_version, rt.kind
        return meta

    async def create(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None
        if rt.namespaced and not info.namespace:
            raise method_not_allowed()
        body = await read_object(request)
        meta = self._namespace_body(info, body)
        warnings = check_fields(rt, body, request.query.get("fieldValidation"))
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))
        for field_name in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "generation"):
            meta.pop(field_name, None)
        if "status" in rt.subresources:
            body.pop("status", None)  # PrepareForCreate: status is the server's (and the controllers')
        apply_defaults(rt, body, self.store)
        validate(rt, body)
        self.state.namespaces.admit_create(rt, info.namespace, meta.get("name", ""))
        created = self.store.create(rt, body, dry_run=_dry_run(request.query.getall("dryRun", [])))
        return json_response(created, 201, headers=_warning_headers(warnings))

    async def update(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None and info.name is not None
        body = await read_object(request)
        meta = self._namespace_body(info, body)
        if meta.get("name") != info.name:
            raise bad_request(f"the name of the object ({meta.get('name', '')}) does not match the name on "
                              f"the URL ({info.name})")
        return self._replace(rt, info, body, request)

    def _replace(self, rt: ResourceType, info: RequestInfo, body: Obj, request: web.Request) -> web.Response:
        dry = _dry_run(request.query.getall("dryRun", []))
        headers = _warning_headers(check_fields(rt, body, request.query.get("fieldValidation")))
        if info.subresource == "status":
            replaced = self.store.replace(rt, body, dry_run=dry, subresource="status")
            return json_response(replaced, headers=headers)
        current = self.store.peek(rt, info.namespace, info.name or "")
        apply_defaults(rt, body, self.store, old=current)
        validate(rt, body, old=current)
        return json_response(self.store.replace(rt, body, dry_run=dry), headers=headers)

    async def patch(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None and info.name is not None
        content_type = request.content_type
        if content_type == APPLY or content_type not in PATCH_TYPES:
            raise unsupported_patch(content_type)
        body = await read_body(request)
        current = self.store.get(rt, info.namespace, info.name)
        patched = apply_patch(content_type, current, body)
        meta = patched.get("metadata")
        if not isinstance(meta, dict) or meta.get("name") != info.name:
            raise bad_request("the name of the object cannot be changed by a patch")
        if rt.namespaced:
            meta["namespace"] = info.namespace
        return self._replace(rt, info, patched, request)

    async def delete(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None and info.name is not None
        options = await self._delete_options(request)
        propagation, dry = self._propagation(request, options), self._delete_dry_run(request, options)
        current = self.store.peek(rt, info.namespace, info.name)
        self._check_preconditions(rt, current, options.get("preconditions") or {})
        if rt.kind == "Namespace" and info.name in PROTECTED_NAMESPACES:
            raise StoreError(403, "Forbidden", f'namespaces "{info.name}" is forbidden: this namespace may '
                             "not be deleted", {"name": info.name, "kind": "namespaces"})
        if rt.kind == "Namespace" and not dry:
            return json_response(self.state.namespaces.terminate(info.name))
        deleted = self.store.delete(rt, info.namespace, info.name, dry_run=dry, propagation=propagation)
        return json_response(self._deletion_answer(rt, deleted, propagation, options))

    async def delete_collection(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None
        options = await self._delete_options(request)
        propagation, dry = self._propagation(request, options), self._delete_dry_run(request, options)
        labels = parse_label_selector(request.query.get("labelSelector"))
        fields = parse_field_selector(request.query.get("fieldSelector"), rt)
        victims = [o for o in self.store.list(rt, info.namespace)
                   if labels.matches_object(o) and fields.matches(o)]
        deleted = []
        for obj in victims:
            meta = obj["metadata"]
            if self.store.find(rt, meta.get("namespace"), meta["name"]) is not None:
                deleted.append(self.store.delete(rt, meta.get("namespace"), meta["name"], dry_run=dry,
                                                 propagation=propagation))
        return json_response({"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                              "metadata": {"resourceVersion": str(self.store.resource_version)},
                              "items": deleted})

    async def _delete_options(self, request: web.Request) -> Obj:
        body = await read_body(request, allow_empty=True)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise bad_request("DeleteOptions must be an object")
        return body

    @staticmethod
    def _propagation(request: web.Request, options: Obj) -> str:
        policy = request.query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
        if options.get("orphanDependents") is True and "propagationPolicy" not in options:
            policy = "Orphan"
        if policy not in ("Foreground", "Background", "Orphan"):
            raise bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                              '"Foreground", "Background", "Orphan"')
        return str(policy)

    @staticmethod
    def _delete_dry_run(request: web.Request, options: Obj) -> bool:
        return _dry_run(request.query.getall("dryRun", []) + list(options.get("dryRun") or []))

    @staticmethod
    def _check_preconditions(rt: ResourceType, current: Obj, preconditions: Obj) -> None:
        meta = current["metadata"]
        for field_name, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            wanted = preconditions.get(field_name)
            if wanted and wanted != meta.get(field_name):
                raise StoreError(409, "Conflict", f"Precondition failed: {label} in precondition: {wanted}, "
                                 f"{label} in object meta: {meta.get(field_name)}",
                                 {"name": meta["name"], "kind": rt.plural, **({"group": rt.group} if rt.group
                                                                              else {})})

    @staticmethod
    def _deletion_answer(rt: ResourceType, deleted: Obj, propagation: str, options: Obj) -> Obj:
        """What DELETE returns, as on a real server: the object for pods, services and namespaces (the
        generated clients expect it for the first two and, famously, fail to read it for namespaces),
        the object marked for deletion under Foreground propagation, else a Success Status."""
        meta = deleted["metadata"]
        if rt.kind == "Service" and propagation != "Foreground":
            return deleted  # services are gone at once, and the API answers with the object
        if rt.kind == "Pod" or rt.kind == "Namespace" or propagation == "Foreground":
            answer = copy.deepcopy(deleted)
            answer["metadata"]["deletionTimestamp"] = now_rfc3339()
            if rt.kind == "Pod":
                grace = options.get("gracePeriodSeconds")
                default_grace = (answer.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                answer["metadata"]["deletionGracePeriodSeconds"] = default_grace if grace is None else grace
            elif rt.kind == "Namespace":
                answer.setdefault("status", {})["phase"] = "Terminating"
            else:
                answer["metadata"]["finalizers"] = [*meta.get("finalizers", []), "foregroundDeletion"]
            return answer
        details: Obj = {"name": meta["name"], "kind": rt.plural, "uid": meta.get("uid", "")}
        if rt.group:
            details["group"] = rt.group
        return success_status(details)

    # ---- subresources ----------------------------------------------------------------------------
    def _scale_of(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                  "creationTimestamp") if k in meta},
                "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
                "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                           "selector": str(selector_from_spec((obj.get("spec") or {}).get("selector")))}}

    async def scale(self, request: web.Request, info: RequestInfo) -> web.Response:
        rt = info.rt
        assert rt is not None and info.name is not None
        current = self.store.get(rt, info.namespace, info.name)
        if info.verb == "get":
            return json_response(self._scale_of(current))
        if info.verb == "update":
            scale = await read_object(request)
        elif info.verb == "patch":
            if request.content_type not in PATCH_TYPES:
                raise unsupported_patch(request.content_type)
            scale = apply_patch(request.content_type, self._scale_of(current), await read_body(request))
        else:
            raise method_not_allowed()
        wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")
        if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
            raise conflict(rt, info.name)
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        validate_scale_replicas(info.name, replicas)
        current.setdefault("spec", {})["replicas"] = replicas
        dry = _dry_run(request.query.getall("dryRun", []))
        return json_response(self._scale_of(self.store.replace(rt, current, dry_run=dry, check_rv=False)))

    def log(self, request: web.Request, info: RequestInfo) -> web.Response:
        assert info.rt is not None and info.name is not None
        pod = self.store.peek(info.rt, info.namespace, info.name)
        query = request.query
        text = self.state.pod_log(
            pod, container=query.get("container") or None, tail_lines=_int_param(query, "tailLines"),
            since_seconds=_int_param(query, "sinceSeconds"), previous=query.get("previous") in _TRUE,
            timestamps=query.get("timestamps") in _TRUE)
        limit = _int_param(query, "limitBytes")
        body = text.encode()
        if limit is not None:
            body = body[:limit]
        return web.Response(body=body, headers={"Content-Type": "text/plain"})

