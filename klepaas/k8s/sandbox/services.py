"""Services: cluster IPs and node ports, load balancer addresses, and Endpoints that follow
the pods a selector matches (ready pods in `addresses`, the others in `notReadyAddresses`)."""

from __future__ import annotations

from typing import Any

from klepaas.k8s.sandbox import events as ev
from klepaas.k8s.sandbox.context import ENDPOINTS, POD, SERVICE, Context, rfc3339, write_status
from klepaas.k8s.sandbox.replicasets import pod_active, pod_ready
from klepaas.k8s.sandbox.store import Key, Obj, StoreError, clone

RESERVED_CLUSTER_IPS = {"10.96.0.1", "10.96.0.10"}  # the kubernetes and kube-dns services
TRIGGER_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time"


class Allocator:
    """Cluster IPs (10.96.0.0/16), node ports (30000-32767) and load balancer IPs, never twice."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cluster_ips: set[str] = set(RESERVED_CLUSTER_IPS)
        self.node_ports: set[int] = set()
        self.lb_ips: set[str] = set()

    def observe(self, svc: Obj) -> None:
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if ip and ip != "None":
                self.cluster_ips.add(ip)
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                self.node_ports.add(int(port["nodePort"]))
        for ingress in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
            if ingress.get("ip"):
                self.lb_ips.add(ingress["ip"])

    def release(self, svc: Obj) -> None:
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if ip not in RESERVED_CLUSTER_IPS:
                self.cluster_ips.discard(ip)
        for port in spec.get("ports") or []:
            self.node_ports.discard(port.get("nodePort"))
        for ingress in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
            self.lb_ips.discard(ingress.get("ip"))

    def cluster_ip(self) -> str:
        for _ in range(100_000):
            n = self.ctx.rng.randrange(2, 65534)
            ip = f"10.96.{n // 256}.{n % 256}"
            if n % 256 not in (0, 255) and ip not in self.cluster_ips:
                self.cluster_ips.add(ip)
                return ip
        raise StoreError(500, "InternalError", "range is full: no cluster IP left in 10.96.0.0/16")

    def node_port(self) -> int:
        for _ in range(100_000):
            port = self.ctx.rng.randrange(30000, 32768)
            if port not in self.node_ports:
                self.node_ports.add(port)
                return port
        raise StoreError(500, "InternalError", "range is full: no node port left in 30000-32767")

    def lb_ip(self) -> str:
        n = 200
        while f"172.18.255.{n}" in self.lb_ips and n < 254:
            n += 1
        ip = f"172.18.255.{n}" if n < 254 else f"172.18.254.{len(self.lb_ips) % 250 + 1}"
        self.lb_ips.add(ip)
        return ip


def _target_port(port: Obj, pod: Obj) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for container in pod["spec"].get("containers") or []:
        for cport in container.get("ports") or []:
            if cport.get("name") == target:
                return int(cport["containerPort"])
    return None


class ServiceController:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.allocator = Allocator(ctx)
        self._seen_at: dict[str, float] = {}  # service uid -> when we first saw it
        self._known: dict[Key, Obj] = {}  # last seen spec and status, to release on delete

    def observe_existing(self) -> None:
        for svc in self.ctx.store.list(SERVICE):
            self.allocator.observe(svc)

    def sync(self, key: Key) -> None:
        svc = self.ctx.store.find(SERVICE, *key)
        if svc is None:
            gone = self._known.pop(key, None)
            if gone is not None:
                self.allocator.release(gone)
                self._seen_at.pop(gone["metadata"].get("uid", ""), None)
            if self.ctx.store.find(ENDPOINTS, *key) is not None:
                self.ctx.store.delete(ENDPOINTS, *key)
            return
        svc = self._default_spec(svc)
        svc = self._sync_load_balancer(key, svc)
        self._known[key] = svc
        self._sync_endpoints(key, svc)

    # ---- spec ----------------------------------------------------------------------------
    def _default_spec(self, svc: Obj) -> Obj:
        wanted = clone(svc)
        spec = wanted.setdefault("spec", {})
        kind = spec.setdefault("type", "ClusterIP")
        if kind != "ExternalName":
            if not spec.get("clusterIP"):
                ip = (spec.get("clusterIPs") or [None])[0] or self.allocator.cluster_ip()
                spec["clusterIP"] = ip
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            if spec["clusterIP"] != "None":
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            if kind != "ExternalName":
                port.setdefault("targetPort", port.get("port"))
            if kind in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                port["nodePort"] = self.allocator.node_port()
        if kind in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if kind == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        self.allocator.observe(wanted)
        if wanted.get("spec") == svc.get("spec"):
            return svc
        return self.ctx.store.replace(SERVICE, wanted, check_rv=False)

    def _sync_load_balancer(self, key: Key, svc: Obj) -> Obj:
        lb = (svc.get("status") or {}).get("loadBalancer") or {}
        if svc["spec"].get("type") != "LoadBalancer":
            if lb.get("ingress"):
                self.allocator.release({"status": svc.get("status")})
                return self._write_status(svc, {"loadBalancer": {}})
            return svc
        if lb.get("ingress"):
            return svc
        uid = svc["metadata"]["uid"]
        if uid not in self._seen_at:
            self._seen_at[uid] = self.ctx.now()
            self.ctx.events.record(svc, "EnsuringLoadBalancer", "Ensuring load balancer",
                                   component=ev.SERVICE_CONTROLLER)
        ready_at = self._seen_at[uid] + self.ctx.options.load_balancer_delay
        if self.ctx.now() < ready_at:
            self.ctx.schedule_at(ready_at, "service", key)
            return svc
        ip = self.allocator.lb_ip()
        self.ctx.events.record(svc, "EnsuredLoadBalancer", "Ensured load balancer",
                               component=ev.SERVICE_CONTROLLER)
        return self._write_status(svc, {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}})

    def _write_status(self, svc: Obj, status: Obj) -> Obj:
        return write_status(self.ctx.store, SERVICE, svc, status)

    # ---- endpoints -----------------------------------------------------------------------
    def _sync_endpoints(self, key: Key, svc: Obj) -> None:
        selector = svc["spec"].get("selector") or {}
        if not selector or svc["spec"].get("type") == "ExternalName":
            return  # endpoints of a selector-less service are managed by hand
        publish_not_ready = bool(svc["spec"].get("publishNotReadyAddresses"))
        groups: dict[tuple[Any, ...], Obj] = {}
        for name in sorted(self.ctx.index.pods_matching(key[0], selector)):
            pod = self.ctx.store.find(POD, key[0], name)
            if pod is None or not pod_active(pod) or not (pod.get("status") or {}).get("podIP"):
                continue
            ports = []
            for port in svc["spec"].get("ports") or []:
                number = _target_port(port, pod)
                if number is None:
                    continue
                entry: Obj = {"port": number, "protocol": port.get("protocol", "TCP")}
                if port.get("name"):
                    entry["name"] = port["name"]
                if port.get("appProtocol"):
                    entry["appProtocol"] = port["appProtocol"]
                ports.append(entry)
            group_key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
            subset = groups.setdefault(group_key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
            address = {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName"),
                "targetRef": {"kind": "Pod", "namespace": key[0], "name": name,
                              "uid": pod["metadata"]["uid"]},
            }
            ready = pod_ready(pod) or publish_not_ready
            subset["addresses" if ready else "notReadyAddresses"].append(address)
        subsets = []
        for subset in groups.values():
            cleaned = {k: v for k, v in subset.items() if v}
            if cleaned.get("ports") == [] or "ports" not in cleaned:
                cleaned.pop("ports", None)
            if cleaned.get("addresses") or cleaned.get("notReadyAddresses"):
                subsets.append(cleaned)
        self._write_endpoints(key, svc, subsets)

    def _write_endpoints(self, key: Key, svc: Obj, subsets: list[Obj]) -> None:
        labels = dict(svc["metadata"].get("labels") or {})
        if svc["spec"].get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        existing = self.ctx.store.find(ENDPOINTS, *key)
        if existing is not None and (existing.get("subsets") or []) == subsets and \
                (existing["metadata"].get("labels") or {}) == labels:
            return
        stamp = rfc3339(self.ctx.now())
        if existing is None:
            body: Obj = {"metadata": {"name": key[1], "namespace": key[0], "labels": labels,
                                      "annotations": {TRIGGER_ANNOTATION: stamp}}}
            if subsets:
                body["subsets"] = subsets
            try:
                self.ctx.store.create(ENDPOINTS, body)
            except StoreError as error:
                if error.code != 404:  # the namespace is going away
                    raise
            return
        updated = clone(existing)
        updated["metadata"]["labels"] = labels
        updated["metadata"].setdefault("annotations", {})[TRIGGER_ANNOTATION] = stamp
        if subsets:
            updated["subsets"] = subsets
        else:
            updated.pop("subsets", None)
        self.ctx.store.replace(ENDPOINTS, updated, check_rv=False)
