"""Sample apps for the sandbox cluster (`klepaas demo`, `klepaas sandbox --samples`).

    kube-system  coredns   2 x registry.k8s.io/coredns/coredns:v1.11.3   svc kube-dns 10.96.0.10 :53
    default      nginx     2 x nginx:1.25                                svc nginx ClusterIP :80
    staging      api       2 x ghcr.io/klepaas/api:1.4.2                 svc api ClusterIP :80 -> 8080
    staging      web       2 x ghcr.io/klepaas/web:2.3.0                 svc web ClusterIP :80 -> 3000
                                                          ingress web, TLS host web.staging.example.com
    production   checkout  3 x ghcr.io/klepaas/checkout:3.2.1            svc checkout LoadBalancer :80 -> 8080
    production   payment   3 x ghcr.io/klepaas/payment:1.9.0             svc payment LoadBalancer :80 -> 8080

Objects go straight into the store with the API server's defaults applied; the controllers
(running or started later) roll them out.
"""

from __future__ import annotations

from dataclasses import dataclass

from klepaas.k8s.sandbox.defaults import apply_defaults
from klepaas.k8s.sandbox.store import BY_KIND, Obj, Store

NAMESPACES = ("default", "kube-system", "staging", "production")


@dataclass(frozen=True)
class App:
    namespace: str
    name: str
    image: str
    replicas: int
    port: int
    service_type: str = "ClusterIP"
    cpu: str = "100m"
    memory: str = "128Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "256Mi"
    commit: str | None = None
    tier: str = "backend"


APPS = (
    App("default", "nginx", "nginx:1.25", 2, 80, cpu="50m", memory="64Mi", cpu_limit="200m",
        memory_limit="128Mi", tier="frontend"),
    App("staging", "api", "ghcr.io/klepaas/api:1.4.2", 2, 8080,
        commit="3f9c2a1e8b7d4c6f0a1b2c3d4e5f6a7b8c9d0e1f"),
    App("staging", "web", "ghcr.io/klepaas/web:2.3.0", 2, 3000,
        commit="a41be07c2d9f8e6b5a4c3d2e1f0a9b8c7d6e5f4a", tier="frontend"),
    App("production", "checkout", "ghcr.io/klepaas/checkout:3.2.1", 3, 8080, "LoadBalancer",
        cpu="250m", memory="256Mi", cpu_limit="1", memory_limit="512Mi",
        commit="9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"),
    App("production", "payment", "ghcr.io/klepaas/payment:1.9.0", 3, 8080, "LoadBalancer",
        cpu="250m", memory="256Mi", cpu_limit="1", memory_limit="512Mi",
        commit="0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"),
)


def _labels(app: App) -> dict[str, str]:
    return {"app": app.name, "app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": "klepaas-demo",
            "tier": app.tier}


def deployment(app: App) -> Obj:
    annotations: dict[str, str] = {}
    if app.commit:
        annotations["klepaas.io/commit"] = app.commit
        annotations["kubernetes.io/change-cause"] = f"deploy {app.image} ({app.commit[:7]})"
    probe = {"httpGet": {"path": "/" if app.name == "nginx" else "/healthz", "port": "http"},
             "periodSeconds": 10}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": _labels(app),
                     "annotations": annotations},
        "spec": {
            "replicas": app.replicas,
            "selector": {"matchLabels": {"app": app.name}},
            "template": {
                "metadata": {"labels": _labels(app)},
                "spec": {
                    "containers": [{
                        "name": app.name,
                        "image": app.image,
                        "ports": [{"name": "http", "containerPort": app.port}],
                        "env": [{"name": "APP_ENV", "value": app.namespace}],
                        "resources": {"requests": {"cpu": app.cpu, "memory": app.memory},
                                      "limits": {"cpu": app.cpu_limit, "memory": app.memory_limit}},
                        "readinessProbe": probe,
                        "livenessProbe": {**probe, "initialDelaySeconds": 10},
                    }],
                },
            },
        },
    }


def service(app: App) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": _labels(app)},
        "spec": {"type": app.service_type, "selector": {"app": app.name},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
    }


def web_ingress() -> Obj:
    host = "web.staging.example.com"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "staging", "labels": {"app": "web"},
                     "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [host], "secretName": "web-tls"}],
            "rules": [{"host": host, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.150"}]}},
    }


def coredns() -> list[Obj]:
    labels = {"k8s-app": "kube-dns"}
    dns = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {
                "priorityClassName": "system-cluster-critical",
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                "containers": [{
                    "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.3",
                    "args": ["-conf", "/etc/coredns/Corefile"],
                    "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                              {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                              {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "70Mi"},
                                  "limits": {"memory": "170Mi"}},
                }],
            }},
        },
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {**labels, "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": labels, "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]},
    }
    return [dns, svc]


def sample_objects() -> list[Obj]:
    objects: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                          for ns in NAMESPACES]
    objects += coredns()
    for app in APPS:
        objects += [deployment(app), service(app)]
    objects.append(web_ingress())
    return objects


def load_samples(store: Store) -> None:
    """Create the sample namespaces, apps, services and ingress; objects that exist are left alone."""
    for obj in sample_objects():
        rt = BY_KIND[obj["kind"]]
        meta = obj["metadata"]
        if store.find(rt, meta.get("namespace"), meta["name"]) is not None:
            continue
        apply_defaults(rt, obj, store)
        store.create(rt, obj)
