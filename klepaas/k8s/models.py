"""The typed data the Kubernetes gateway returns: small frozen dataclasses, never client objects.

Callers above `klepaas.k8s` see only these. Each `parse_*` function takes one object as the API
serves it (a JSON dict) and keeps what commands need; unknown fields are ignored, missing ones
get the API's defaults (a Deployment without `spec.replicas` has 1). Quantities are parsed once
here: CPU to cores (float), memory to bytes (int).

`to_jsonable` turns any of these (or lists of them) into JSON-serialisable data for results.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Generic, Literal, TypeVar

Obj = Mapping[str, Any]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"

# ---- quantities -----------------------------------------------------------------------------

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def parse_quantity(value: str | int | float | None) -> Decimal | None:
    """A Kubernetes resource quantity ("100m", "1.5", "128Mi", "1e3") as a Decimal; None if absent
    or malformed (a malformed quantity would have been refused by the API server anyway)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip())
    if not match or match.group(2) not in _SUFFIX:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2)]
    except InvalidOperation:
        return None


def cpu_cores(value: str | int | float | None) -> float | None:
    q = parse_quantity(value)
    return None if q is None else float(q)


def memory_bytes(value: str | int | float | None) -> int | None:
    q = parse_quantity(value)
    return None if q is None else int(q)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# ---- common pieces --------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerRef:
    kind: str
    name: str
    uid: str
    controller: bool = False


@dataclass(frozen=True)
class Meta:
    name: str
    namespace: str | None = None
    uid: str = ""
    resource_version: str = ""
    generation: int | None = None
    created: datetime | None = None
    deleting: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    owners: tuple[OwnerRef, ...] = ()

    @property
    def controller(self) -> OwnerRef | None:
        return next((o for o in self.owners if o.controller), self.owners[0] if self.owners else None)


def parse_meta(obj: Obj) -> Meta:
    m = obj.get("metadata") or {}
    return Meta(
        name=m.get("name", ""),
        namespace=m.get("namespace"),
        uid=m.get("uid", ""),
        resource_version=str(m.get("resourceVersion", "")),
        generation=m.get("generation"),
        created=parse_time(m.get("creationTimestamp")),
        deleting=bool(m.get("deletionTimestamp")),
        labels=dict(m.get("labels") or {}),
        annotations=dict(m.get("annotations") or {}),
        owners=tuple(
            OwnerRef(o.get("kind", ""), o.get("name", ""), o.get("uid", ""), bool(o.get("controller")))
            for o in m.get("ownerReferences") or []
        ),
    )


@dataclass(frozen=True)
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str = ""
    message: str = ""
    last_transition: datetime | None = None
    last_update: datetime | None = None

    @property
    def is_true(self) -> bool:
        return self.status == "True"


def _conditions(raw: list[Obj] | None) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            type=c.get("type", ""),
            status=c.get("status", "Unknown"),
            reason=c.get("reason") or "",
            message=c.get("message") or "",
            last_transition=parse_time(c.get("lastTransitionTime")),
            last_update=parse_time(c.get("lastUpdateTime")),
        )
        for c in raw or []
    )


@dataclass(frozen=True)
class Resources:
    """Requests and limits of one container: CPU in cores, memory in bytes; None when unset."""

    cpu_request: float | None = None
    memory_request: int | None = None
    cpu_limit: float | None = None
    memory_limit: int | None = None


@dataclass(frozen=True)
class ContainerPort:
    port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    ports: tuple[ContainerPort, ...] = ()
    resources: Resources = field(default_factory=Resources)


def _containers(raw: list[Obj] | None) -> tuple[ContainerSpec, ...]:
    out = []
    for c in raw or []:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        out.append(
            ContainerSpec(
                name=c.get("name", ""),
                image=c.get("image", ""),
                ports=tuple(
                    ContainerPort(int(p.get("containerPort", 0)), p.get("name"), p.get("protocol", "TCP"))
                    for p in c.get("ports") or []
                ),
                resources=Resources(
                    cpu_request=cpu_cores(req.get("cpu")),
                    memory_request=memory_bytes(req.get("memory")),
                    cpu_limit=cpu_cores(lim.get("cpu")),
                    memory_limit=memory_bytes(lim.get("memory")),
                ),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class PodTemplate:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    containers: tuple[ContainerSpec, ...] = ()

    @property
    def images(self) -> list[str]:
        return [c.image for c in self.containers]


def _template(raw: Obj | None) -> PodTemplate:
    raw = raw or {}
    meta = raw.get("metadata") or {}
    return PodTemplate(
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        containers=_containers((raw.get("spec") or {}).get("containers")),
    )


def _selector(raw: Obj | None) -> tuple[dict[str, str], str]:
    """matchLabels and the equivalent label-selector string (matchExpressions included)."""
    raw = raw or {}
    labels = dict(raw.get("matchLabels") or {})
    parts = [f"{k}={v}" for k, v in sorted(labels.items())]
    for expr in raw.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return labels, ",".join(parts)


def _revision(annotations: Mapping[str, str]) -> int | None:
    try:
        return int(annotations[REVISION_ANNOTATION])
    except (KeyError, ValueError):
        return None


def _int_or_str(value: Any) -> str | None:
    return None if value is None else str(value)


# ---- workloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentStatus:
    observed_generation: int = 0
    replicas: int = 0
    updated: int = 0
    ready: int = 0
    available: int = 0
    unavailable: int = 0
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Deployment:
    meta: Meta
    replicas: int
    selector: dict[str, str]
    label_selector: str
    template: PodTemplate
    strategy: str = "RollingUpdate"
    max_surge: str | None = None
    max_unavailable: str | None = None
    paused: bool = False
    progress_deadline_seconds: int | None = None
    status: DeploymentStatus = field(default_factory=DeploymentStatus)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace or ""

    @property
    def revision(self) -> int | None:
        return _revision(self.meta.annotations)

    @property
    def images(self) -> list[str]:
        return self.template.images

    @property
    def change_cause(self) -> str | None:
        return self.meta.annotations.get(CHANGE_CAUSE_ANNOTATION)

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.status.conditions if c.type == type_), None)


def parse_deployment(obj: Obj) -> Deployment:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    strategy = spec.get("strategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    labels, selector = _selector(spec.get("selector"))
    return Deployment(
        meta=parse_meta(obj),
        replicas=int(spec.get("replicas", 1)),
        selector=labels,
        label_selector=selector,
        template=_template(spec.get("template")),
        strategy=strategy.get("type", "RollingUpdate"),
        max_surge=_int_or_str(rolling.get("maxSurge")),
        max_unavailable=_int_or_str(rolling.get("maxUnavailable")),
        paused=bool(spec.get("paused")),
        progress_deadline_seconds=spec.get("progressDeadlineSeconds"),
        status=DeploymentStatus(
            observed_generation=int(status.get("observedGeneration", 0)),
            replicas=int(status.get("replicas", 0)),
            updated=int(status.get("updatedReplicas", 0)),
            ready=int(status.get("readyReplicas", 0)),
            available=int(status.get("availableReplicas", 0)),
            unavailable=int(status.get("unavailableReplicas", 0)),
            conditions=_conditions(status.get("conditions")),
        ),
    )


@dataclass(frozen=True)
class ReplicaSet:
    meta: Meta
    replicas: int
    label_selector: str
    template: PodTemplate
    ready: int = 0
    available: int = 0
    current: int = 0  # status.replicas

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace or ""

    @property
    def revision(self) -> int | None:
        return _revision(self.meta.annotations)

    @property
    def pod_template_hash(self) -> str | None:
        return self.meta.labels.get(POD_TEMPLATE_HASH_LABEL) or self.template.labels.get(
            POD_TEMPLATE_HASH_LABEL
        )

    @property
    def change_cause(self) -> str | None:
        return self.meta.annotations.get(CHANGE_CAUSE_ANNOTATION)

    @property
    def deployment(self) -> str | None:
        owner = self.meta.controller
        return owner.name if owner and owner.kind == "Deployment" else None

    def owned_by(self, deployment: Deployment) -> bool:
        return any(o.uid == deployment.meta.uid for o in self.meta.owners if o.kind == "Deployment")


def parse_replicaset(obj: Obj) -> ReplicaSet:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    _, selector = _selector(spec.get("selector"))
    return ReplicaSet(
        meta=parse_meta(obj),
        replicas=int(spec.get("replicas", 1)),
        label_selector=selector,
        template=_template(spec.get("template")),
        ready=int(status.get("readyReplicas", 0)),
        available=int(status.get("availableReplicas", 0)),
        current=int(status.get("replicas", 0)),
    )


StateKind = Literal["waiting", "running", "terminated", "unknown"]


@dataclass(frozen=True)
class ContainerState:
    kind: StateKind
    reason: str = ""
    message: str = ""
    exit_code: int | None = None
    started: datetime | None = None
    finished: datetime | None = None


def _state(raw: Obj | None) -> ContainerState | None:
    if not raw:
        return None
    for kind in ("waiting", "running", "terminated"):
        if kind in raw and raw[kind] is not None:
            s = raw[kind] or {}
            return ContainerState(
                kind=kind,
                reason=s.get("reason") or "",
                message=s.get("message") or "",
                exit_code=s.get("exitCode"),
                started=parse_time(s.get("startedAt")),
                finished=parse_time(s.get("finishedAt")),
            )
    return None


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    image: str
    ready: bool
    restart_count: int
    state: ContainerState | None = None
    last_state: ContainerState | None = None
    started: bool | None = None


def _container_statuses(raw: list[Obj] | None) -> tuple[ContainerStatus, ...]:
    return tuple(
        ContainerStatus(
            name=s.get("name", ""),
            image=s.get("image", ""),
            ready=bool(s.get("ready")),
            restart_count=int(s.get("restartCount", 0)),
            state=_state(s.get("state")),
            last_state=_state(s.get("lastState")),
            started=s.get("started"),
        )
        for s in raw or []
    )


@dataclass(frozen=True)
class Pod:
    meta: Meta
    phase: str
    containers: tuple[ContainerSpec, ...]
    container_statuses: tuple[ContainerStatus, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    conditions: tuple[Condition, ...] = ()
    node: str | None = None
    ip: str | None = None
    started: datetime | None = None
    reason: str = ""  # status.reason, e.g. Evicted
    message: str = ""

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace or ""

    @property
    def ready(self) -> bool:
        cond = next((c for c in self.conditions if c.type == "Ready"), None)
        return bool(cond and cond.is_true)

    @property
    def restarts(self) -> int:
        return sum(s.restart_count for s in self.container_statuses)

    @property
    def ready_count(self) -> tuple[int, int]:
        return sum(1 for s in self.container_statuses if s.ready), len(self.containers)

    @property
    def pod_template_hash(self) -> str | None:
        return self.meta.labels.get(POD_TEMPLATE_HASH_LABEL)

    @property
    def owner(self) -> OwnerRef | None:
        return self.meta.controller

    @property
    def display_status(self) -> str:
        """The STATUS column of `kubectl get pods`: a waiting/terminated reason wins over the phase."""
        if self.meta.deleting:
            return "Terminating"
        if self.reason:
            return self.reason
        inits = self.init_container_statuses
        for done, s in enumerate(inits):
            if s.state and s.state.kind == "terminated" and s.state.exit_code == 0:
                continue
            if s.state and s.state.reason and s.state.kind != "running":
                return f"Init:{s.state.reason}"
            return f"Init:{done}/{len(inits)}"
        status = self.phase
        for s in self.container_statuses:
            if s.state and s.state.kind in ("waiting", "terminated") and s.state.reason:
                status = s.state.reason
            elif s.state and s.state.kind == "terminated" and s.state.exit_code is not None:
                status = f"ExitCode:{s.state.exit_code}"
        return status or "Unknown"

    @property
    def requests(self) -> Resources:
        cpu = [c.resources.cpu_request for c in self.containers if c.resources.cpu_request is not None]
        mem = [c.resources.memory_request for c in self.containers if c.resources.memory_request is not None]
        return Resources(cpu_request=sum(cpu) if cpu else None, memory_request=sum(mem) if mem else None)


def parse_pod(obj: Obj) -> Pod:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return Pod(
        meta=parse_meta(obj),
        phase=status.get("phase", "Unknown"),
        containers=_containers(spec.get("containers")),
        container_statuses=_container_statuses(status.get("containerStatuses")),
        init_container_statuses=_container_statuses(status.get("initContainerStatuses")),
        conditions=_conditions(status.get("conditions")),
        node=spec.get("nodeName"),
        ip=status.get("podIP"),
        started=parse_time(status.get("startTime")),
        reason=status.get("reason") or "",
        message=status.get("message") or "",
    )


@dataclass(frozen=True)
class Scale:
    name: str
    namespace: str
    replicas: int  # spec.replicas: what was asked for
    current: int  # status.replicas: what exists now
    label_selector: str = ""
    resource_version: str = ""


def parse_scale(obj: Obj) -> Scale:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    return Scale(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        replicas=int(spec.get("replicas", 0)),
        current=int(status.get("replicas", 0)),
        label_selector=status.get("selector", ""),
        resource_version=str(meta.get("resourceVersion", "")),
    )


# ---- networking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: str | None = None
    name: str | None = None
    node_port: int | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class Service:
    meta: Meta
    type: str
    cluster_ip: str | None
    ports: tuple[ServicePort, ...]
    selector: dict[str, str]
    external_ips: tuple[str, ...] = ()
    load_balancer: tuple[str, ...] = ()  # ingress IPs or hostnames
    external_name: str | None = None

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace or ""

    def selects(self, labels: Mapping[str, str]) -> bool:
        """Whether this service routes to pods carrying `labels` (an empty selector selects none)."""
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector.items())


def _lb(raw: Obj | None) -> tuple[str, ...]:
    ingress = ((raw or {}).get("loadBalancer") or {}).get("ingress") or []
    return tuple(i.get("ip") or i.get("hostname") or "" for i in ingress if i.get("ip") or i.get("hostname"))


def parse_service(obj: Obj) -> Service:
    spec = obj.get("spec") or {}
    return Service(
        meta=parse_meta(obj),
        type=spec.get("type", "ClusterIP"),
        cluster_ip=spec.get("clusterIP"),
        ports=tuple(
            ServicePort(
                port=int(p.get("port", 0)),
                target_port=_int_or_str(p.get("targetPort")),
                name=p.get("name"),
                node_port=p.get("nodePort"),
                protocol=p.get("protocol", "TCP"),
            )
            for p in spec.get("ports") or []
        ),
        selector=dict(spec.get("selector") or {}),
        external_ips=tuple(spec.get("externalIPs") or ()),
        load_balancer=_lb(obj.get("status")),
        external_name=spec.get("externalName"),
    )


@dataclass(frozen=True)
class EndpointAddress:
    ip: str
    ready: bool
    pod: str | None = None
    node: str | None = None


@dataclass(frozen=True)
class EndpointPort:
    port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class Endpoints:
    meta: Meta
    addresses: tuple[EndpointAddress, ...]
    ports: tuple[EndpointPort, ...]

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace or ""

    @property
    def ready(self) -> list[EndpointAddress]:
        return [a for a in self.addresses if a.ready]


def parse_endpoints(obj: Obj) -> Endpoints:
    addresses: list[EndpointAddress] = []
    ports: dict[tuple[int, str | None], EndpointPort] = {}
    for subset in obj.get("subsets") or []:
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.get(key) or []:
                target = a.get("targetRef") or {}
                addresses.append(
                    EndpointAddress(
                        ip=a.get("ip", ""),
                        ready=ready,
                        pod=target.get("name") if target.get("kind") == "Pod" else None,
                        node=a.get("nodeName"),
                    )
                )
        for p in subset.get("ports") or []:
            port = EndpointPort(int(p.get("port", 0)), p.get("name"), p.get("protocol", "TCP"))
            ports[(port.port, port.name)] = port
    return Endpoints(meta=parse_meta(obj), addresses=tuple(addresses), ports=tuple(ports.values()))


@dataclass(frozen=True)
class IngressPath:
    path: str
    service: str | None
    port: str | None  # number or name
    path_type: str = "Prefix"


@dataclass(frozen=True)
class IngressRule:
    host: str | None
    paths: tuple[IngressPath, ...]


@dataclass(frozen=True)
class Ingress:
    meta: Meta
    class_name: str | None
    rules: tuple[IngressRule, ...]
    tls_hosts: tuple[str, ...] = ()
    load_balancer: tuple[str, ...] = ()
    default_backend: IngressPath | None = None

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace or ""

    @property
    def services(self) -> set[str]:
        names = {p.service for r in self.rules for p in r.paths if p.service}
        if self.default_backend and self.default_backend.service:
            names.add(self.default_backend.service)
        return names


def _backend(raw: Obj | None, path: str = "/", path_type: str = "Prefix") -> IngressPath:
    svc = (raw or {}).get("service") or {}
    port = svc.get("port") or {}
    return IngressPath(
        path=path,
        service=svc.get("name"),
        port=_int_or_str(port.get("number") or port.get("name")),
        path_type=path_type,
    )


def parse_ingress(obj: Obj) -> Ingress:
    spec = obj.get("spec") or {}
    rules = []
    for r in spec.get("rules") or []:
        paths = tuple(
            _backend(p.get("backend"), p.get("path") or "/", p.get("pathType", "Prefix"))
            for p in (r.get("http") or {}).get("paths") or []
        )
        rules.append(IngressRule(host=r.get("host"), paths=paths))
    default = spec.get("defaultBackend")
    return Ingress(
        meta=parse_meta(obj),
        class_name=spec.get("ingressClassName")
        or (obj.get("metadata") or {}).get("annotations", {}).get("kubernetes.io/ingress.class"),
        rules=tuple(rules),
        tls_hosts=tuple(h for t in spec.get("tls") or [] for h in t.get("hosts") or []),
        load_balancer=_lb(obj.get("status")),
        default_backend=_backend(default) if default else None,
    )


# ---- cluster --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Namespace:
    meta: Meta
    phase: str = "Active"

    @property
    def name(self) -> str:
        return self.meta.name


def parse_namespace(obj: Obj) -> Namespace:
    return Namespace(meta=parse_meta(obj), phase=(obj.get("status") or {}).get("phase", "Active"))


@dataclass(frozen=True)
class NodeResources:
    cpu: float = 0.0  # cores
    memory: int = 0  # bytes
    pods: int = 0


def _node_resources(raw: Obj | None) -> NodeResources:
    raw = raw or {}
    return NodeResources(
        cpu=cpu_cores(raw.get("cpu")) or 0.0,
        memory=memory_bytes(raw.get("memory")) or 0,
        pods=int(parse_quantity(raw.get("pods")) or 0),
    )


@dataclass(frozen=True)
class Node:
    meta: Meta
    ready: bool
    unschedulable: bool
    capacity: NodeResources
    allocatable: NodeResources
    kubelet_version: str = ""
    addresses: dict[str, str] = field(default_factory=dict)  # InternalIP, ExternalIP, Hostname

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def roles(self) -> list[str]:
        prefix = "node-role.kubernetes.io/"
        return sorted(k[len(prefix) :] for k in self.meta.labels if k.startswith(prefix))

    @property
    def instance_type(self) -> str | None:
        return self.meta.labels.get("node.kubernetes.io/instance-type")


def parse_node(obj: Obj) -> Node:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ready = next((c for c in _conditions(status.get("conditions")) if c.type == "Ready"), None)
    return Node(
        meta=parse_meta(obj),
        ready=bool(ready and ready.is_true),
        unschedulable=bool(spec.get("unschedulable")),
        capacity=_node_resources(status.get("capacity")),
        allocatable=_node_resources(status.get("allocatable") or status.get("capacity")),
        kubelet_version=(status.get("nodeInfo") or {}).get("kubeletVersion", ""),
        addresses={a.get("type", ""): a.get("address", "") for a in status.get("addresses") or []},
    )


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    name: str
    namespace: str | None = None


@dataclass(frozen=True)
class Event:
    meta: Meta
    type: str  # Normal | Warning
    reason: str
    message: str
    involved: ObjectRef
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    source: str = ""


def parse_event(obj: Obj) -> Event:
    inv = obj.get("involvedObject") or obj.get("regarding") or {}
    meta = parse_meta(obj)
    last = (
        parse_time(obj.get("lastTimestamp"))
        or parse_time(obj.get("eventTime"))
        or parse_time((obj.get("series") or {}).get("lastObservedTime"))
        or meta.created
    )
    return Event(
        meta=meta,
        type=obj.get("type", "Normal"),
        reason=obj.get("reason", ""),
        message=obj.get("message") or obj.get("note") or "",
        involved=ObjectRef(inv.get("kind", ""), inv.get("name", ""), inv.get("namespace")),
        count=int(obj.get("count") or 1),
        first_seen=parse_time(obj.get("firstTimestamp")) or last,
        last_seen=last,
        source=(obj.get("source") or {}).get("component") or obj.get("reportingComponent") or "",
    )


# ---- lists and watches ----------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class ResourceList(Generic[T]):
    """Items of one list call (all its pages). `remaining` counts items that exist but were not
    fetched because a `limit` was reached; None when the server did not say how many."""

    items: list[T]
    resource_version: str = ""
    remaining: int | None = 0

    @property
    def complete(self) -> bool:
        return self.remaining == 0

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


WatchEventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]


@dataclass(frozen=True)
class WatchEvent(Generic[T]):
    type: WatchEventType
    object: T | None  # None for BOOKMARK
    resource_version: str


# ---- to JSON --------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Dataclasses, datetimes, tuples and mappings as plain JSON data (for `Result.data`)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value
