"""Defaulting as the API server does it on create and update (before validation).

`apply_defaults(rt, obj, store, old)` fills the fields a real server fills: deployment strategy and
limits, pod spec and container defaults, service clusterIP allocation, namespace phase. It changes
`obj` in place. Controllers that create objects straight in the store may call it too.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from klepaas.k8s.sandbox.store import BY_KIND, Obj, ResourceType, Store

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
NODE_PORT_RANGE = range(30000, 32768)


def _container_defaults(container: Obj) -> None:
    image = str(container.get("image", ""))
    tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
    latest = image.endswith(":latest") or not tagged
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            if isinstance(probe.get("httpGet"), dict):
                probe["httpGet"].setdefault("scheme", "HTTP")
                probe["httpGet"].setdefault("path", "/")


def pod_spec_defaults(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for field in ("containers", "initContainers"):
        for container in spec.get(field) or []:
            if isinstance(container, dict):
                _container_defaults(container)
    for volume in spec.get("volumes") or []:
        for source in ("configMap", "secret"):
            if isinstance(volume, dict) and isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)


def _qos_class(spec: Obj) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers") or [] if isinstance(c, dict)]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        r.get("limits") and set(r["limits"]) >= {"cpu", "memory"}
        and all(r.get("requests", {}).get(k, v) == v for k, v in r["limits"].items())
        for r in resources)
    return "Guaranteed" if guaranteed else "Burstable"


def _workload_defaults(obj: Obj, *, deployment: bool) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    if deployment:
        strategy = spec.setdefault("strategy", {})
        if isinstance(strategy, dict):
            strategy.setdefault("type", "RollingUpdate")
            if strategy["type"] == "RollingUpdate":
                rolling = strategy.setdefault("rollingUpdate", {})
                rolling.setdefault("maxUnavailable", "25%")
                rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        if isinstance(template.get("spec"), dict):
            pod_spec_defaults(template["spec"])


def _allocate_cluster_ip(store: Store) -> str:
    used = {svc.get("spec", {}).get("clusterIP") for svc in store.list(BY_KIND["Service"])}
    # Start the search after the addresses in use: allocation stays O(services), not O(services²).
    usable = SERVICE_CIDR.num_addresses - 2
    for offset in range(usable):
        address = SERVICE_CIDR.network_address + 1 + (len(used) + offset) % usable
        text = str(address)
        if text not in used and not text.endswith(".0"):
            return text
    raise RuntimeError("the sandbox service CIDR is exhausted")


def _allocate_node_port(store: Store, taken: set[int]) -> int:
    for svc in store.list(BY_KIND["Service"]):
        taken |= {p.get("nodePort") for p in svc.get("spec", {}).get("ports") or [] if p.get("nodePort")}
    size = len(NODE_PORT_RANGE)
    for offset in range(size):
        port = NODE_PORT_RANGE[(len(taken) + offset) % size]
        if port not in taken:
            return port
    raise RuntimeError("the sandbox node port range is exhausted")


def _service_defaults(obj: Obj, store: Store, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    old_spec = (old or {}).get("spec") or {}
    kind = spec.setdefault("type", "ClusterIP")
    if kind != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = old_spec.get("clusterIP") or _allocate_cluster_ip(store)
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        if spec["clusterIP"] != "None":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    spec.setdefault("sessionAffinity", "None")
    old_ports = {p.get("port"): p for p in old_spec.get("ports") or []}
    taken: set[int] = set()
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        port.setdefault("protocol", "TCP")
        if "port" in port:
            port.setdefault("targetPort", port["port"])
        if kind in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            port["nodePort"] = old_ports.get(port.get("port"), {}).get("nodePort") or \
                _allocate_node_port(store, taken)
            taken.add(port["nodePort"])
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    obj.setdefault("status", {"loadBalancer": {}})


def apply_defaults(rt: ResourceType, obj: Obj, store: Store, old: Obj | None = None) -> None:
    """Fill server-side defaults into `obj` (a create when `old` is None, else an update)."""
    meta: Any = obj.setdefault("metadata", {})
    if rt.kind == "Deployment":
        _workload_defaults(obj, deployment=True)
    elif rt.kind == "ReplicaSet":
        _workload_defaults(obj, deployment=False)
    elif rt.kind == "Pod":
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            pod_spec_defaults(spec)
            spec.setdefault("serviceAccountName", "default")
            spec.setdefault("enableServiceLinks", True)
            spec.setdefault("priority", 0)
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            if old is None:
                status = obj.setdefault("status", {})
                if isinstance(status, dict):
                    status.setdefault("phase", "Pending")
                    status.setdefault("qosClass", _qos_class(spec))
    elif rt.kind == "Service":
        _service_defaults(obj, store, old)
    elif rt.kind == "Namespace":
        if isinstance(meta, dict) and meta.get("name"):
            meta["labels"] = {**(meta.get("labels") or {}), "kubernetes.io/metadata.name": meta["name"]}
        spec, status = obj.setdefault("spec", {}), obj.setdefault("status", {})
        if isinstance(spec, dict) and not spec.get("finalizers"):
            spec["finalizers"] = ["kubernetes"]
        if isinstance(status, dict):
            status.setdefault("phase", "Active")
    elif rt.kind == "Ingress":
        obj.setdefault("status", {"loadBalancer": {}})
