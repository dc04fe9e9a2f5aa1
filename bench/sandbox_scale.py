"""Sandbox cluster at scale: 2,000 deployments and 20,000 pods, then list latency over HTTP.

    .venv/bin/python bench/sandbox_scale.py [--namespaces 20] [--deployments 2000] [--replicas 10] [--reps 5]

Deployments (and one service each) go straight into the store; the running controllers create
the replica sets, pods, endpoints and events. Once every deployment has rolled out, the real
`kubernetes` client lists pods over HTTP — across all namespaces, in one namespace, and by label
selector — `--reps` times each, and the p50 is printed, with the server's memory.

Two timings per list: "http+json" is the client's request with the body parsed as JSON
(`_preload_content=False`), "client models" adds the client's own deserialisation into V1Pod
objects (done fewer times: it costs more than the server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import kubernetes

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from klepaas.k8s.sandbox.cluster import SandboxCluster  # noqa: E402
from klepaas.k8s.sandbox.controllers import ControllerOptions  # noqa: E402
from klepaas.k8s.sandbox.defaults import apply_defaults  # noqa: E402
from klepaas.k8s.sandbox.store import BY_KIND, Obj, Store  # noqa: E402

NAMESPACE, DEPLOYMENT, SERVICE, POD = (BY_KIND[k] for k in ("Namespace", "Deployment", "Service", "Pod"))


def rss_mib() -> tuple[float, float]:
    """(current VmRSS, peak ru_maxrss) of this process, which is the server, in MiB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def app(namespace: str, name: str, replicas: int) -> tuple[Obj, Obj]:
    labels = {"app": name, "app.kubernetes.io/name": name, "team": namespace}
    deployment: Obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                "name": "app", "image": f"ghcr.io/klepaas/{name}:1.0.{len(name) % 7}",
                "ports": [{"name": "http", "containerPort": 8080}],
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
            }]}},
        },
    }
    service: Obj = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    return deployment, service


def load(store: Store, namespaces: int, deployments: int, replicas: int) -> None:
    for n in range(namespaces):
        ns: Obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{n:02d}"}}
        apply_defaults(NAMESPACE, ns, store)
        store.create(NAMESPACE, ns)
    for i in range(deployments):
        deployment, service = app(f"team-{i % namespaces:02d}", f"svc-{i:04d}", replicas)
        apply_defaults(DEPLOYMENT, deployment, store)
        store.create(DEPLOYMENT, deployment)
        # no API defaulting for services: it allocates cluster IPs by scanning every service;
        # the service controller allocates them (and fills the other defaults) instead
        store.create(SERVICE, service)


def ready_pods(store: Store) -> int:
    count = 0
    for pod in store.list(POD):
        for c in (pod.get("status") or {}).get("conditions") or ():
            if c.get("type") == "Ready" and c.get("status") == "True":
                count += 1
    return count


async def wait_rolled_out(store: Store, want: int, budget: float) -> float:
    start = time.perf_counter()
    while True:
        ready = ready_pods(store)
        elapsed = time.perf_counter() - start
        print(f"  {elapsed:6.1f}s  pods={store.count(POD):>6}  ready={ready:>6}", flush=True)
        if ready >= want:
            return elapsed
        if elapsed > budget:
            raise SystemExit(f"only {ready} of {want} pods became ready within {budget}s")
        await asyncio.sleep(2.0)


async def timed(call: Callable[[], Any], reps: int) -> tuple[float, int]:
    """p50 seconds of `reps` calls, each in a thread so the server keeps serving; and the last result."""
    samples = []
    count = 0
    for _ in range(reps):
        start = time.perf_counter()
        count = await asyncio.to_thread(call)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), count


def raw_items(response: Any) -> int:
    body = json.loads(response.data)
    return len(body["items"])


def list_cases(core: Any) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(name, raw call, model call) per list; raw reads and parses the body in the calling thread."""
    one_ns, label = "team-00", "app=svc-0000"
    return [
        ("all pods, all namespaces",
         lambda: raw_items(core.list_pod_for_all_namespaces(_preload_content=False)),
         lambda: len(core.list_pod_for_all_namespaces().items)),
        (f"pods in namespace {one_ns}",
         lambda: raw_items(core.list_namespaced_pod(one_ns, _preload_content=False)),
         lambda: len(core.list_namespaced_pod(one_ns).items)),
        (f"pods by label {label} (all namespaces)",
         lambda: raw_items(core.list_pod_for_all_namespaces(label_selector=label, _preload_content=False)),
         lambda: len(core.list_pod_for_all_namespaces(label_selector=label).items)),
    ]


async def measure_lists(cluster: SandboxCluster, reps: int) -> None:
    with TemporaryDirectory() as tmp:
        path = cluster.write_kubeconfig(Path(tmp) / "kubeconfig")
        api_client = kubernetes.config.new_client_from_config(config_file=str(path))
    try:
        core = kubernetes.client.CoreV1Api(api_client)
        print(f"\nlist latency over HTTP, p50 (kubernetes client {kubernetes.__version__}):")
        print(f"  {'list':<44} {'items':>6} {'http+json':>16} {'client models':>18}")
        for name, raw, models in list_cases(core):
            raw_reps = reps if not name.startswith("all pods") else min(reps, 3)
            raw_p50, items = await timed(raw, raw_reps)
            model_reps = 1 if items > 5000 else reps
            model_p50, _ = await timed(models, model_reps)
            print(f"  {name:<44} {items:>6} {raw_p50 * 1000:>7.0f}ms (n={raw_reps}) "
                  f"{model_p50 * 1000:>9.0f}ms (n={model_reps})")
    finally:
        api_client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=2000)
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--budget", type=float, default=150.0, help="seconds allowed for the rollout")
    args = parser.parse_args()

    options = ControllerOptions(pod_start_delay=0.2, pod_ready_delay=0.2, load_balancer_delay=0.2, seed=1)
    cluster = SandboxCluster(controller_options=options, history_size=10_000)
    await cluster.start()
    try:
        store = cluster.store
        print(f"sandbox at {cluster.url}; RSS before loading {rss_mib()[0]:.0f} MiB")
        start = time.perf_counter()
        load(store, args.namespaces, args.deployments, args.replicas)
        print(f"stored {args.deployments} deployments + services in {time.perf_counter() - start:.1f}s; "
              "controllers rolling out:")
        want = args.deployments * args.replicas
        rollout = await wait_rolled_out(store, want, args.budget)
        counts = ", ".join(f"{rt.plural}={store.count(rt)}"
                           for rt in (BY_KIND["ReplicaSet"], BY_KIND["Endpoints"], BY_KIND["Event"]))
        print(f"rolled out {want} pods in {rollout:.1f}s ({counts})")
        print(f"server RSS with everything loaded: {rss_mib()[0]:.0f} MiB")
        await measure_lists(cluster, args.reps)
        current, peak = rss_mib()
        print(f"\nRSS after the lists: {current:.0f} MiB now, {peak:.0f} MiB peak (one process: store, "
              "controllers, API server, and the benchmark's client with its models)")
        errors = cluster.controllers.errors if cluster.controllers else []
        print(f"controller errors: {len(errors)}")
    finally:
        await cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
