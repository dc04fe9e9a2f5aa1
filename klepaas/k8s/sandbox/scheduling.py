"""Nodes and the scheduler: which node a pod may run on, and why none, in the scheduler's words.

Fit is checked per node against allocatable resources, not against what other pods already
requested, so that a 20,000-pod load test still schedules; a pod whose requests exceed every
node, whose nodeSelector matches no node, or that tolerates no taint stays Pending with a
FailedScheduling event.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from klepaas.k8s.sandbox.store import BY_KIND, Obj, Store, now_rfc3339

KUBELET_VERSION = "v1.32.2"

_SUFFIXES: dict[str, Decimal] = {
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def parse_quantity(value: object) -> Decimal:
    """A Kubernetes resource quantity ('500m', '128Mi', '1.5', 2) as a number; 0 if malformed."""
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return Decimal(0)
    try:
        return Decimal(match.group(1)) * _SUFFIXES[match.group(2) or ""]
    except InvalidOperation:
        return Decimal(0)


def pod_requests(pod: Obj) -> dict[str, Decimal]:
    """Summed container requests (limits stand in for missing requests, as the API defaults them)."""
    total: dict[str, Decimal] = {}
    for container in pod.get("spec", {}).get("containers") or []:
        resources = container.get("resources") or {}
        wanted = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        for name, amount in wanted.items():
            total[name] = total.get(name, Decimal(0)) + parse_quantity(amount)
    return total


# ---- nodes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeShape:
    cpu: str = "4"
    memory: str = "16318504Ki"
    pods: str = "110"
    ephemeral_storage: str = "102626232Ki"


def node_names(count: int) -> list[str]:
    workers = [f"sandbox-worker{i if i > 1 else ''}" for i in range(1, count)]
    return ["sandbox-control-plane", *workers] if count > 1 else ["sandbox-control-plane"]


def make_node(name: str, index: int, *, control_plane: bool, tainted: bool,
              shape: NodeShape = NodeShape()) -> Obj:
    now = now_rfc3339()
    digest = hashlib.sha256(name.encode()).hexdigest()
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "topology.kubernetes.io/zone": f"sandbox-{'abc'[index % 3]}",
    }
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    spec: Obj = {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"],
                 "providerID": f"kind://docker/sandbox/{name}"}
    if tainted:
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    capacity = {"cpu": shape.cpu, "memory": shape.memory, "pods": shape.pods,
                "ephemeral-storage": shape.ephemeral_storage, "hugepages-2Mi": "0"}

    def condition(kind: str, status: str, reason: str, message: str) -> Obj:
        return {"type": kind, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now}

    return {
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                          "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                          "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID",
                          "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": node_ip(index)},
                          {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": digest[:32],
                "systemUUID": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
                "bootID": digest[32:64],
                "kernelVersion": "6.8.0-45-generic",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def node_ip(index: int) -> str:
    return f"172.18.0.{index + 2}"


def ensure_nodes(store: Store, count: int) -> None:
    """Create `count` Ready nodes when the cluster has none (like a fresh kind cluster)."""
    rt = BY_KIND["Node"]
    if store.count(rt) or count <= 0:
        return
    for i, name in enumerate(node_names(count)):
        store.create(rt, make_node(name, i, control_plane=i == 0, tainted=i == 0 and count > 1))


def node_index(node: Obj) -> int:
    cidr = (node.get("spec") or {}).get("podCIDR") or ""
    match = re.match(r"10\.244\.(\d+)\.0/24", cidr)
    return int(match.group(1)) if match else 0


def host_ip(node: Obj) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address["address"])
    return node_ip(node_index(node))


# ---- fitting ----------------------------------------------------------------------------
def _tolerates(pod: Obj, taint: Obj) -> bool:
    for toleration in pod.get("spec", {}).get("tolerations") or []:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists" and not toleration.get("key"):
            return True
        if toleration.get("key") != taint.get("key"):
            continue
        if toleration.get("operator") == "Exists" or toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def _node_ready(node: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def why_not(pod: Obj, node: Obj, requests: dict[str, Decimal]) -> str | None:
    """The scheduler's reason this node cannot take the pod, or None if it fits."""
    spec = node.get("spec") or {}
    if spec.get("unschedulable"):
        return "node(s) were unschedulable"
    if not _node_ready(node):
        return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
    for taint in spec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(pod, taint):
            return f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"
    selector = pod.get("spec", {}).get("nodeSelector") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return "node(s) didn't match Pod's node affinity/selector"
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    for resource in ("cpu", "memory", "ephemeral-storage"):
        wanted = requests.get(resource)
        if wanted and wanted > parse_quantity(allocatable.get(resource, "0")):
            return f"Insufficient {resource}"
    return None


@dataclass(frozen=True)
class Placement:
    node: Obj | None
    message: str  # why no node fits, when node is None


def place(pod: Obj, nodes: list[Obj], pods_on_node: dict[str, int]) -> Placement:
    """The least loaded node that fits, or the scheduler's FailedScheduling message."""
    requests = pod_requests(pod)
    reasons: Counter[str] = Counter()
    best: Obj | None = None
    for node in nodes:
        reason = why_not(pod, node, requests)
        if reason is not None:
            reasons[reason] += 1
        elif best is None or pods_on_node.get(node["metadata"]["name"], 0) < \
                pods_on_node.get(best["metadata"]["name"], 0):
            best = node
    if best is not None:
        return Placement(best, "")
    total = len(nodes)
    if not total:
        return Placement(None, "no nodes available to schedule pods")
    parts = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    return Placement(None, f"0/{total} nodes are available: {parts}. preemption: 0/{total} nodes are "
                           f"available: {total} Preemption is not helpful for scheduling.")
