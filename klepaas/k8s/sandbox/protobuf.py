"""Request bodies in `application/vnd.kubernetes.protobuf`, decoded to the JSON the server works on.

kubectl's typed clients (`kubectl create namespace|deployment|service|ingress`) send protobuf.
The envelope is `k8s\\x00` + `runtime.Unknown{typeMeta{apiVersion, kind}, raw}`; `raw` is the
object in the field numbering of k8s.io/api's generated.proto. The schema below covers the kinds
and fields those clients send; unknown fields are skipped, zero scalars dropped (as Go's JSON
`omitempty` would), except where the field is a pointer in Go and zero is meaningful (`!`).
Status is never decoded: creates and updates ignore it for these kinds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from klepaas.k8s.sandbox.store import Obj, StoreError

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"

# field number -> (json name, type); types: s string, i int, b bool, map (string->string),
# q (string->Quantity), ios (IntOrString), time, or a message name; "*" repeats, "!" keeps zero.
# An empty json name is a Go embedded struct: its fields are inlined into the parent.
Schema = dict[int, tuple[str, str]]
_MESSAGES: dict[str, Schema] = {
    "ObjectMeta": {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"), 5: ("uid", "s"),
                   6: ("resourceVersion", "s"), 7: ("generation", "i"), 8: ("creationTimestamp", "time"),
                   11: ("labels", "map"), 12: ("annotations", "map"),
                   13: ("ownerReferences", "*OwnerReference"), 14: ("finalizers", "*s")},
    "OwnerReference": {1: ("kind", "s"), 3: ("name", "s"), 4: ("uid", "s"), 5: ("apiVersion", "s"),
                       6: ("controller", "b!"), 7: ("blockOwnerDeletion", "b!")},
    "LabelSelector": {1: ("matchLabels", "map"), 2: ("matchExpressions", "*LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "s"), 2: ("operator", "s"), 3: ("values", "*s")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "*s")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "DeploymentSpec": {1: ("replicas", "i!"), 2: ("selector", "LabelSelector"),
                       3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
                       5: ("minReadySeconds", "i"), 6: ("revisionHistoryLimit", "i!"), 7: ("paused", "b"),
                       9: ("progressDeadlineSeconds", "i!")},
    "DeploymentStrategy": {1: ("type", "s"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "ios"), 2: ("maxSurge", "ios")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "*Container"), 3: ("restartPolicy", "s"),
                4: ("terminationGracePeriodSeconds", "i!"), 5: ("activeDeadlineSeconds", "i!"),
                6: ("dnsPolicy", "s"), 7: ("nodeSelector", "map"), 8: ("serviceAccountName", "s"),
                10: ("nodeName", "s"), 11: ("hostNetwork", "b"),
                15: ("imagePullSecrets", "*LocalObjectReference"), 19: ("schedulerName", "s"),
                20: ("initContainers", "*Container"), 24: ("priorityClassName", "s")},
    "LocalObjectReference": {1: ("name", "s")},
    "Container": {1: ("name", "s"), 2: ("image", "s"), 3: ("command", "*s"), 4: ("args", "*s"),
                  5: ("workingDir", "s"), 6: ("ports", "*ContainerPort"), 7: ("env", "*EnvVar"),
                  8: ("resources", "ResourceRequirements"), 9: ("volumeMounts", "*VolumeMount"),
                  13: ("terminationMessagePath", "s"), 14: ("imagePullPolicy", "s"), 16: ("stdin", "b"),
                  17: ("stdinOnce", "b"), 18: ("tty", "b"), 20: ("terminationMessagePolicy", "s")},
    "ContainerPort": {1: ("name", "s"), 2: ("hostPort", "i"), 3: ("containerPort", "i!"),
                      4: ("protocol", "s"), 5: ("hostIP", "s")},
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
    "ResourceRequirements": {1: ("limits", "q"), 2: ("requests", "q")},
    "VolumeMount": {1: ("name", "s"), 2: ("readOnly", "b"), 3: ("mountPath", "s"), 4: ("subPath", "s")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec")},
    "ServiceSpec": {1: ("ports", "*ServicePort"), 2: ("selector", "map"), 3: ("clusterIP", "s"),
                    4: ("type", "s"), 5: ("externalIPs", "*s"), 7: ("sessionAffinity", "s"),
                    8: ("loadBalancerIP", "s"), 10: ("externalName", "s"),
                    11: ("externalTrafficPolicy", "s")},
    "ServicePort": {1: ("name", "s"), 2: ("protocol", "s"), 3: ("port", "i!"), 4: ("targetPort", "ios"),
                    5: ("nodePort", "i"), 6: ("appProtocol", "s")},
    "Ingress": {1: ("metadata", "ObjectMeta"), 2: ("spec", "IngressSpec")},
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", "s"), 2: ("verb", "s"), 3: ("group", "s"), 4: ("version", "s"),
                           5: ("resource", "s"), 6: ("subresource", "s"), 7: ("name", "s")},
    "NonResourceAttributes": {1: ("path", "s"), 2: ("verb", "s")},
    "IngressSpec": {1: ("defaultBackend", "IngressBackend"), 2: ("tls", "*IngressTLS"),
                    3: ("rules", "*IngressRule"), 4: ("ingressClassName", "s")},
    "IngressTLS": {1: ("hosts", "*s"), 2: ("secretName", "s")},
    "IngressRule": {1: ("host", "s"), 2: ("", "IngressRuleValue")},  # embedded: inlined in JSON
    "IngressRuleValue": {1: ("http", "HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: ("paths", "*HTTPIngressPath")},
    "HTTPIngressPath": {1: ("path", "s"), 2: ("backend", "IngressBackend"), 3: ("pathType", "s")},
    "IngressBackend": {4: ("service", "IngressServiceBackend")},
    "IngressServiceBackend": {1: ("name", "s"), 2: ("port", "ServiceBackendPort")},
    "ServiceBackendPort": {1: ("name", "s"), 2: ("number", "i")},
}
KINDS = ("Namespace", "Deployment", "Service", "Ingress", "SelfSubjectAccessReview")


def unsupported(kind: str) -> StoreError:
    return StoreError(415, "UnsupportedMediaType",
                      f"the sandbox decodes protobuf bodies only for {', '.join(KINDS)}, not {kind}; "
                      "send application/json")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: an int for varints, bytes for length-delimited fields."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            out.append((number, data[pos:pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, raw: int | bytes) -> Any:
    if kind == "s":
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    if kind in ("i", "b"):
        number = _signed(raw) if isinstance(raw, int) else 0
        return bool(number) if kind == "b" else number
    if kind == "ios":
        parts = dict(_fields(raw)) if isinstance(raw, bytes) else {}
        if parts.get(1) == 1:
            text = parts.get(3, b"")
            return text.decode() if isinstance(text, bytes) else ""
        value = parts.get(2, 0)
        return _signed(value) if isinstance(value, int) else 0
    if kind == "time":
        seconds = dict(_fields(raw)).get(1) if isinstance(raw, bytes) else None
        if not isinstance(seconds, int) or not seconds:
            return None
        return datetime.fromtimestamp(_signed(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _message(kind, raw if isinstance(raw, bytes) else b"")


def _entry(raw: int | bytes, kind: str) -> tuple[str, str]:
    parts = dict(_fields(raw)) if isinstance(raw, bytes) else {}
    key, value = parts.get(1, b""), parts.get(2, b"")
    if kind == "q":  # value is a Quantity message {1: string}
        value = dict(_fields(value)).get(1, b"") if isinstance(value, bytes) else b""
    return (key.decode() if isinstance(key, bytes) else str(key),
            value.decode() if isinstance(value, bytes) else str(value))


def _message(name: str, data: bytes) -> Obj:
    schema = _MESSAGES[name]
    out: Obj = {}
    for number, raw in _fields(data):
        if number not in schema:
            continue
        field, kind = schema[number]
        repeated, keep_zero = kind.startswith("*"), kind.endswith("!")
        kind = kind.strip("*!")
        if kind in ("map", "q"):
            key, value = _entry(raw, kind)
            out.setdefault(field, {})[key] = value
            continue
        value = _scalar(kind, raw)
        if not field and isinstance(value, dict):
            out.update(value)
        elif repeated:
            out.setdefault(field, []).append(value)
        elif value is not None and (keep_zero or value not in ("", 0, False) or isinstance(value, dict)):
            out[field] = value
    return out


def decode_object(body: bytes) -> Obj:
    """The JSON form of a protobuf-encoded object (400 if malformed, 415 for kinds not covered)."""
    if not body.startswith(MAGIC):
        raise StoreError(400, "BadRequest", "protobuf body without the k8s\\0 envelope prefix")
    try:
        envelope = dict(_fields(body[len(MAGIC):]))
        type_bytes = envelope.get(1, b"")
        type_meta = dict(_fields(type_bytes)) if isinstance(type_bytes, bytes) else {}
        api_version, kind = (v.decode() if isinstance(v, bytes) else "" for v in
                             (type_meta.get(1, b""), type_meta.get(2, b"")))
        if kind not in KINDS:
            raise unsupported(kind or "an unknown kind")
        raw = envelope.get(2, b"")
        obj = _message(kind, raw if isinstance(raw, bytes) else b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreError(400, "BadRequest", f"error decoding protobuf body: {exc}") from exc
    return {"apiVersion": api_version, "kind": kind, **obj}
