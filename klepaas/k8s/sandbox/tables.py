"""`meta.k8s.io/v1 Table` output, the columns `kubectl get` prints, as the API server's printers make them.

The server always fills every column (priority 1 columns are the `-o wide` ones); kubectl hides them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from klepaas.k8s.sandbox.selectors import selector_from_spec
from klepaas.k8s.sandbox.store import Obj, ResourceType

Cells = list[Any]
_DOCS = {
    "name": "Name must be unique within a namespace. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "age": "CreationTimestamp is a timestamp representing the server time when this object was created.",
}


def human_duration(seconds: float) -> str:
    """Go's `duration.HumanDuration`, as kubectl prints ages."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = hours // 24 // 365, (hours // 24) % 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


@lru_cache(maxsize=4096)
def _epoch(timestamp: str) -> float | None:
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def since(timestamp: str | None) -> str:
    when = _epoch(timestamp) if timestamp else None
    if when is None:
        return "<unknown>"
    return human_duration(time.time() - when)


def _age(obj: Obj) -> str:
    return since(obj.get("metadata", {}).get("creationTimestamp"))


def _col(name: str, description: str = "", *, priority: int = 0, type_: str = "string",
         fmt: str = "") -> Obj:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


NAME = _col("Name", _DOCS["name"], fmt="name")
AGE = _col("Age", _DOCS["age"])


def _containers_images(template_spec: Obj) -> tuple[str, str]:
    containers = template_spec.get("containers") or []
    return (",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers))


def _selector_text(spec: Obj | None) -> str:
    text = str(selector_from_spec(spec))
    return text or "<none>"


# ---- per kind --------------------------------------------------------------------------------------------


def _deployment(obj: Obj) -> Cells:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images((spec.get("template") or {}).get("spec") or {})
    return [obj["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0), _age(obj),
            names, images, _selector_text(spec.get("selector"))]


def _replicaset(obj: Obj) -> Cells:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_images((spec.get("template") or {}).get("spec") or {})
    return [obj["metadata"]["name"], spec.get("replicas", 0), status.get("replicas", 0),
            status.get("readyReplicas", 0), _age(obj), names, images, _selector_text(spec.get("selector"))]


def pod_status_reason(pod: Obj) -> str:
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_statuses = status.get("initContainerStatuses") or []
    initializing = False
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len((pod.get('spec') or {}).get('initContainers') or [])}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                signal = terminated.get("signal")
                reason = f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode')}"
            elif state.get("running") and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in status.get("conditions") or [])
            reason = "Running" if ready else "NotReady"
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return str(reason)


def _pod(obj: Obj) -> Cells:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    restarts = sum(int(cs.get("restartCount", 0)) for cs in statuses)
    last = max((((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""
                for cs in statuses), default="")
    restarts_text = f"{restarts} ({since(last)} ago)" if restarts and last else str(restarts)
    gates = spec.get("readinessGates") or []
    return [obj["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}",
            pod_status_reason(obj), restarts_text, _age(obj), status.get("podIP") or "<none>",
            spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>",
            f"{len(gates)}/{len(gates)}" if gates else "<none>"]


def _service_external_ip(spec: Obj, status: Obj) -> str:
    kind = spec.get("type", "ClusterIP")
    external = list(spec.get("externalIPs") or [])
    if kind == "ExternalName":
        return str(spec.get("externalName", "<none>"))
    if kind == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress")
                   or []]
        found = [x for x in [*ingress, *external] if x]
        return ",".join(found) if found else "<pending>"
    return ",".join(external) if external else "<none>"


def _service(obj: Obj) -> Cells:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ports = []
    for p in spec.get("ports") or []:
        text = f"{p.get('port')}:{p['nodePort']}" if p.get("nodePort") else str(p.get("port"))
        ports.append(f"{text}/{p.get('protocol', 'TCP')}")
    selector = spec.get("selector") or {}
    return [obj["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>",
            _service_external_ip(spec, status), ",".join(ports) or "<none>", _age(obj),
            ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"]


def _namespace(obj: Obj) -> Cells:
    return [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", "Active"), _age(obj)]


def _ingress(obj: Obj) -> Cells:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    hosts_text = ",".join(hosts[:4]) + (f" + {len(hosts) - 4} more..." if len(hosts) > 4 else "")
    addresses = [i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress")
                 or []]
    return [obj["metadata"]["name"], spec.get("ingressClassName") or "<none>", hosts_text or "*",
            ",".join(a for a in addresses if a), "80, 443" if spec.get("tls") else "80", _age(obj)]


def _endpoints(obj: Obj) -> Cells:
    pairs = []
    for subset in obj.get("subsets") or []:
        ports = subset.get("ports") or []
        for address in subset.get("addresses") or []:
            if ports:
                pairs += [f"{address.get('ip')}:{p.get('port')}" for p in ports]
            else:
                pairs.append(str(address.get("ip")))
    text = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [obj["metadata"]["name"], text or "<none>", _age(obj)]


def _event_time(event: Obj, field: str) -> str:
    if event.get(field):
        return since(event[field])
    return since(event.get("eventTime")) if event.get("eventTime") else "<unknown>"


def _event(obj: Obj) -> Cells:
    first = _event_time(obj, "firstTimestamp")
    last = since(obj["lastTimestamp"]) if obj.get("lastTimestamp") else first
    count = obj.get("count") or 1
    series = obj.get("series")
    if series:
        last, count = since(series.get("lastObservedTime")), series.get("count", count)
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    source_text = source.get("component", "") + (f", {source['host']}" if source.get("host") else "")
    return [last, obj.get("type", ""), obj.get("reason", ""), target, involved.get("fieldPath", ""),
            source_text or obj.get("reportingComponent", ""), str(obj.get("message", "")).strip(), first,
            int(count), obj["metadata"]["name"]]


def _node(obj: Obj) -> Cells:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    states = [c.get("type") if c.get("status") == "True" else f"Not{c.get('type')}"
              for c in status.get("conditions") or [] if c.get("type") == "Ready"]
    state = ",".join(states) or "Unknown"
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = obj.get("metadata", {}).get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    info = status.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    return [obj["metadata"]["name"], state, ",".join(roles) or "<none>", _age(obj),
            info.get("kubeletVersion", ""), addresses.get("InternalIP", "<none>"),
            addresses.get("ExternalIP", "<none>"), info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion", "<unknown>")]


_WIDE = 1
PRINTERS: dict[str, tuple[list[Obj], Callable[[Obj], Cells]]] = {
    "Deployment": ([NAME, _col("Ready", "Number of the pod with ready state"),
                    _col("Up-to-date", "Total number of non-terminated pods targeted by this deployment "
                         "that have the desired template spec."),
                    _col("Available", "Total number of available pods (ready for at least minReadySeconds) "
                         "targeted by this deployment."), AGE,
                    _col("Containers", "Names of each container in the template.", priority=_WIDE),
                    _col("Images", "Images referenced by each container in the template.", priority=_WIDE),
                    _col("Selector", "Label selector for pods.", priority=_WIDE)], _deployment),
    "ReplicaSet": ([NAME, _col("Desired", "Replicas is the number of desired replicas.", type_="integer"),
                    _col("Current", "Replicas is the most recently observed number of replicas.",
                         type_="integer"),
                    _col("Ready", "The number of ready replicas for this replica set.", type_="integer"), AGE,
                    _col("Containers", "Names of each container in the template.", priority=_WIDE),
                    _col("Images", "Images referenced by each container in the template.", priority=_WIDE),
                    _col("Selector", "Label selector for pods.", priority=_WIDE)], _replicaset),
    "Pod": ([NAME, _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
             _col("Status", "The aggregate status of the containers in this pod."),
             _col("Restarts", "The number of times the containers in this pod have been restarted and when "
                  "the last container in this pod has restarted."), AGE,
             _col("IP", "IP address allocated to the pod.", priority=_WIDE),
             _col("Node", "Name of the node the pod is assigned to.", priority=_WIDE),
             _col("Nominated Node", "Name of the node the pod is nominated to.", priority=_WIDE),
             _col("Readiness Gates", "Pod readiness gates.", priority=_WIDE)], _pod),
    "Service": ([NAME, _col("Type", "The type of the service."),
                 _col("Cluster-IP", "The IP address of the service."),
                 _col("External-IP", "The external IP addresses of the service."),
                 _col("Port(s)", "The ports exposed by the service."), AGE,
                 _col("Selector", "The label selector of the service.", priority=_WIDE)], _service),
    "Namespace": ([NAME, _col("Status", "The status of the namespace"), AGE], _namespace),
    "Ingress": ([NAME, _col("Class", "The name of the IngressClass resource."),
                 _col("Hosts", "Hosts that incoming requests are matched against."),
                 _col("Address", "Address is a list containing ingress points for the load-balancer"),
                 _col("Ports", "Ports of TLS configurations that open"), AGE], _ingress),
    "Endpoints": ([NAME, _col("Endpoints", "Endpoints of the resource"), AGE], _endpoints),
    "Event": ([_col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
               _col("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
               _col("Reason", "This should be a short, machine understandable string that gives the reason "
                    "for this event being generated."),
               _col("Object", "The object that this event is about."),
               _col("Subobject", "The subobject that this event is about.", priority=_WIDE),
               _col("Source", "The component reporting this event.", priority=_WIDE),
               _col("Message", "A human-readable description of the status of this operation."),
               _col("First Seen", "The time at which the event was first recorded.", priority=_WIDE),
               _col("Count", "The number of times this event has occurred.", priority=_WIDE),
               _col("Name", _DOCS["name"], priority=_WIDE, fmt="name")], _event),
    "Node": ([NAME, _col("Status", "The status of the node"), _col("Roles", "The roles of the node"), AGE,
              _col("Version", "Kubelet Version reported by the node."),
              _col("Internal-IP", "List of internal IPs in the node.", priority=_WIDE),
              _col("External-IP", "List of external IPs in the node.", priority=_WIDE),
              _col("OS-Image", "OS image reported by the node.", priority=_WIDE),
              _col("Kernel-Version", "Kernel version reported by the node.", priority=_WIDE),
              _col("Container-Runtime", "Container runtime version.", priority=_WIDE)], _node),
}


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def to_table(rt: ResourceType, objs: Iterable[Obj], list_meta: Obj, include: str = "Metadata") -> Obj:
    """A Table of `objs` with the kind's columns; `include` is the includeObject policy."""
    columns, printer = PRINTERS.get(rt.kind, ([NAME, AGE], lambda o: [o["metadata"]["name"], _age(o)]))
    rows = []
    for obj in objs:
        row: Obj = {"cells": printer(obj)}
        embedded = _row_object(obj, include)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": columns, "rows": rows}


def partial_metadata(obj: Obj) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
