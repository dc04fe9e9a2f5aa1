"""Object validation as the API server does it before storing: names, required fields, ranges.

Failures are one `StoreError(422, "Invalid")` listing every problem in `details.causes`, with the
message shape of a real server (`Deployment.apps "x" is invalid: spec.selector: Required value`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from klepaas.k8s.sandbox.selectors import selector_from_spec, valid_label_key, valid_label_value
from klepaas.k8s.sandbox.store import Obj, ResourceType, StoreError

_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_PORT_NAME = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                 "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
                 f"used for validation is '{_SUBDOMAIN}')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
             "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
             f"used for validation is '{_LABEL}')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
               f"'abc-123', regex used for validation is '{_DNS1035}')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                   "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                   "'my_value',  or '12345', regex used for validation is "
                   "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def _go(value: Any) -> str:
    """A value as Go's %#v would print it in an error message."""
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{_go(k)}:{_go(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    if value is None:
        return "null"
    return str(value)


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str  # FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate
    detail: str = ""
    value: Any = None

    def message(self) -> str:
        if self.reason == "FieldValueRequired":
            head = "Required value"
        elif self.reason == "FieldValueDuplicate":
            head = f"Duplicate value: {_go(self.value)}"
        elif self.reason == "FieldValueNotSupported":
            head = f"Unsupported value: {_go(self.value)}"
        elif self.reason == "FieldValueForbidden":
            head = "Forbidden"
        else:
            head = f"Invalid value: {_go(self.value)}"
        return f"{head}: {self.detail}" if self.detail else head

    def cause(self) -> Obj:
        return {"reason": self.reason, "message": self.message(), "field": self.field}


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(field, "FieldValueRequired", detail)


def bad_value(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(field, "FieldValueInvalid", detail, value)


def unsupported(field: str, value: Any, supported: tuple[str, ...]) -> FieldError:
    return FieldError(field, "FieldValueNotSupported",
                      "supported values: " + ", ".join(f'"{s}"' for s in supported), value)


def invalid_error(rt: ResourceType, name: str, errors: list[FieldError]) -> StoreError:
    qualified = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    parts = [f"{e.field}: {e.message()}" for e in errors]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details: Obj = {"name": name, "kind": rt.kind, "causes": [e.cause() for e in errors]}
    if rt.group:
        details["group"] = rt.group
    return StoreError(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)


# ---- names --------------------------------------------------------------------------------------------

NAME_RULES: dict[str, str] = {"Namespace": "label", "Service": "dns1035"}


def name_errors(value: str, rule: str, field: str) -> list[FieldError]:
    if rule == "label" or rule == "dns1035":
        pattern, message = (_LABEL, LABEL_MSG) if rule == "label" else (_DNS1035, DNS1035_MSG)
        errors = []
        if len(value) > 63:
            errors.append(bad_value(field, value, "must be no more than 63 characters"))
        if not re.fullmatch(pattern, value):
            errors.append(bad_value(field, value, message))
        return errors
    errors = []
    if len(value) > 253:
        errors.append(bad_value(field, value, "must be no more than 253 characters"))
    if not re.fullmatch(_SUBDOMAIN, value):
        errors.append(bad_value(field, value, SUBDOMAIN_MSG))
    return errors


def _metadata_errors(rt: ResourceType, meta: Obj) -> list[FieldError]:
    errors = name_errors(meta.get("name", ""), NAME_RULES.get(rt.kind, "subdomain"), "metadata.name")
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and not isinstance(value, dict):
            errors.append(bad_value(f"metadata.{field}", value, "must be a map of strings"))
    for key, value in (meta.get("labels") or {}).items():
        if not valid_label_key(str(key)):
            errors.append(bad_value("metadata.labels", key, "name part " + LABEL_MSG))
        if not isinstance(value, str) or not valid_label_value(value):
            errors.append(bad_value("metadata.labels", value, LABEL_VALUE_MSG))
    for key in meta.get("annotations") or {}:
        if not valid_label_key(str(key)):
            errors.append(bad_value("metadata.annotations", key, "name part " + LABEL_MSG))
    return errors


# ---- pods and templates ---------------------------------------------------------------------------------


def _port_errors(field: str, port: Any) -> list[FieldError]:
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        return [bad_value(field, port, "must be between 1 and 65535, inclusive")]
    return []


def _container_errors(field: str, containers: Any) -> list[FieldError]:
    if not isinstance(containers, list) or not containers:
        return [required(field)]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, container in enumerate(containers):
        at = f"{field}[{i}]"
        if not isinstance(container, dict):
            errors.append(bad_value(at, container, "must be an object"))
            continue
        name = container.get("name")
        if not name:
            errors.append(required(f"{at}.name"))
        else:
            if name in seen:
                errors.append(FieldError(f"{at}.name", "FieldValueDuplicate", value=name))
            seen.add(name)
            errors += name_errors(str(name), "label", f"{at}.name")
        if not container.get("image"):
            errors.append(required(f"{at}.image"))
        for j, port in enumerate(container.get("ports") or []):
            errors += _port_errors(f"{at}.ports[{j}].containerPort", (port or {}).get("containerPort"))
    return errors


def _pod_spec_errors(field: str, spec: Any, *, template: bool) -> list[FieldError]:
    if not isinstance(spec, dict):
        return [required(field)]
    errors = _container_errors(f"{field}.containers", spec.get("containers"))
    errors += _container_errors(f"{field}.initContainers", spec.get("initContainers")) \
        if spec.get("initContainers") else []
    policy = spec.get("restartPolicy", "Always")
    allowed = ("Always",) if template else ("Always", "OnFailure", "Never")
    if policy not in allowed:
        errors.append(unsupported(f"{field}.restartPolicy", policy, allowed))
    return errors


def _workload_errors(rt: ResourceType, obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec")]
    errors: list[FieldError] = []
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or replicas < 0:
        errors.append(bad_value("spec.replicas", replicas, "must be greater than or equal to 0"))
    selector_spec = spec.get("selector")
    template = spec.get("template")
    if not selector_spec:
        errors.append(required("spec.selector"))
    elif not selector_spec.get("matchLabels") and not selector_spec.get("matchExpressions"):
        errors.append(bad_value("spec.selector", selector_spec,
                                f"empty selector is invalid for {rt.singular}"))
    if not isinstance(template, dict):
        errors.append(required("spec.template"))
        return errors
    labels = (template.get("metadata") or {}).get("labels") or {}
    if selector_spec and (selector_spec.get("matchLabels") or selector_spec.get("matchExpressions")) \
            and not selector_from_spec(selector_spec).matches(labels):
        errors.append(bad_value("spec.template.metadata.labels", labels,
                                "`selector` does not match template `labels`"))
    errors += _pod_spec_errors("spec.template.spec", template.get("spec"), template=True)
    if old is not None and old.get("spec", {}).get("selector") != selector_spec:
        errors.append(bad_value("spec.selector", selector_spec, "field is immutable"))
    return errors


# ---- services, ingresses --------------------------------------------------------------------------------

_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


def _service_errors(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    kind = spec.get("type", "ClusterIP")
    if kind not in _SERVICE_TYPES:
        errors.append(unsupported("spec.type", kind, _SERVICE_TYPES))
    ports = spec.get("ports") or []
    if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
        errors.append(required("spec.ports"))
    for i, port in enumerate(ports):
        at = f"spec.ports[{i}]"
        errors += _port_errors(f"{at}.port", (port or {}).get("port"))
        if len(ports) > 1 and not (port or {}).get("name"):
            errors.append(required(f"{at}.name"))
        protocol = (port or {}).get("protocol", "TCP")
        if protocol not in ("TCP", "UDP", "SCTP"):
            errors.append(unsupported(f"{at}.protocol", protocol, ("SCTP", "TCP", "UDP")))
    if kind == "ExternalName" and not spec.get("externalName"):
        errors.append(required("spec.externalName"))
    return errors


_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")


def _ingress_errors(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    if not spec.get("rules") and not spec.get("defaultBackend"):
        errors.append(bad_value("spec", spec, "either `defaultBackend` or `rules` must be specified"))
    for i, rule in enumerate(spec.get("rules") or []):
        for j, path in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
            at = f"spec.rules[{i}].http.paths[{j}]"
            path_type = path.get("pathType")
            if not path_type:
                errors.append(required(f"{at}.pathType", "pathType must be specified"))
            elif path_type not in _PATH_TYPES:
                errors.append(unsupported(f"{at}.pathType", path_type, _PATH_TYPES))
            if path_type in ("Exact", "Prefix") and not str(path.get("path", "")).startswith("/"):
                errors.append(bad_value(f"{at}.path", path.get("path", ""), "must be an absolute path"))
            backend = path.get("backend") or {}
            if not backend.get("service") and not backend.get("resource"):
                errors.append(required(f"{at}.backend", "one backend (`service` or `resource`) must be "
                                       "specified"))
    return errors


# ---- entry point ----------------------------------------------------------------------------------------


def validate(rt: ResourceType, obj: Obj, old: Obj | None = None) -> None:
    """Raise a 422 Invalid StoreError if `obj` (replacing `old`, if given) is not acceptable."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise invalid_error(rt, "", [required("metadata")])
    errors = _metadata_errors(rt, meta)
    if rt.kind in ("Deployment", "ReplicaSet"):
        errors += _workload_errors(rt, obj, old)
    elif rt.kind == "Pod":
        errors += _pod_spec_errors("spec", obj.get("spec"), template=False)
    elif rt.kind == "Service":
        errors += _service_errors(obj)
    elif rt.kind == "Ingress":
        errors += _ingress_errors(obj)
    if errors:
        raise invalid_error(rt, str(meta.get("name", "")), errors)


def validate_scale_replicas(name: str, replicas: Any) -> None:
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        error = bad_value("spec.replicas", replicas, "must be greater than or equal to 0")
        raise StoreError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: '
                         f"{error.message()}",
                         {"name": name, "group": "autoscaling", "kind": "Scale", "causes": [error.cause()]})
