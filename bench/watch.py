"""The cluster watcher over a 20,000-pod sandbox: events per second processed, and RSS.

    .venv/bin/python bench/watch.py [--namespaces 20] [--deployments 2000] [--replicas 10]

The sandbox is loaded as in `bench/sandbox_scale.py` (deployments into the store; the controllers
create the pods). The watcher starts while they roll out, so it lists and then follows every pod
and deployment change through the real `kubernetes` client over HTTP. Printed: events processed
per second (while the rollout streams them), the problems it holds, and the RSS of this process
(sandbox + watcher) and the watcher's own share (measured before and after starting it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sandbox_scale import load, ready_pods, rss_mib  # noqa: E402
from klepaas.config import KubeSettings  # noqa: E402
from klepaas.k8s.clusters import KubeClusters  # noqa: E402
from klepaas.k8s.sandbox.cluster import SandboxCluster  # noqa: E402
from klepaas.k8s.sandbox.controllers import ControllerOptions  # noqa: E402
from klepaas.k8s.watcher import ClusterWatcher, Problem  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=2000)
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--budget", type=float, default=240.0, help="seconds allowed for the rollout")
    args = parser.parse_args()

    options = ControllerOptions(pod_start_delay=0.2, pod_ready_delay=0.2, load_balancer_delay=0.2, seed=1)
    cluster = SandboxCluster(controller_options=options, history_size=50_000)
    await cluster.start()
    changes = 0

    async def on_change(problem: Problem, active: bool) -> None:
        nonlocal changes
        changes += 1

    with TemporaryDirectory() as tmp:
        kubeconfig = cluster.write_kubeconfig(Path(tmp) / "kubeconfig")
        clusters = KubeClusters(KubeSettings(KUBECONFIG=kubeconfig, KLEPAAS_LIST_PAGE_SIZE=500))
        try:
            gateway = clusters.get(None)
            before = rss_mib()[0]
            watcher = ClusterWatcher(gateway, on_change)
            task = asyncio.create_task(watcher.run())
            await asyncio.wait_for(watcher.synced.wait(), 30)
            print(f"sandbox at {cluster.url}; watcher synced; RSS {rss_mib()[0]:.0f} MiB")
            load(cluster.store, args.namespaces, args.deployments, args.replicas)
            want = args.deployments * args.replicas
            start = time.perf_counter()
            seen_at_start = watcher.events
            last_print = start
            while True:
                await asyncio.sleep(2.0)
                now = time.perf_counter()
                ready = ready_pods(cluster.store)
                rate = (watcher.events - seen_at_start) / (now - start)
                print(f"  {now - start:6.1f}s ready={ready:>6} events={watcher.events:>8} "
                      f"({rate:,.0f}/s) RSS={rss_mib()[0]:.0f} MiB", flush=True)
                last_print = now
                if ready >= want or now - start > args.budget:
                    break
            # let the watcher drain what the rollout streamed: until a second passes with no event
            drained, drained_at = watcher.events, time.perf_counter()
            while True:
                await asyncio.sleep(1.0)
                if watcher.events == drained:
                    break
                drained, drained_at = watcher.events, time.perf_counter()
            print(f"  rollout done at {last_print - start:.1f}s; "
                  f"watcher drained at {drained_at - start:.1f}s")
            elapsed = drained_at - start
            total = watcher.events - seen_at_start
            current, peak = rss_mib()
            print(f"\nwatcher processed {total:,} events in {elapsed:.1f}s (rollout + drain) "
                  f"= {total / max(elapsed, 1e-9):,.0f} events/s (relists: {watcher.relists})")
            print(f"pods in the cluster: {ready_pods(cluster.store):,} ready; problems held: "
                  f"{len(watcher.active)}; changes reported: {changes}")
            print(f"RSS (sandbox + watcher, one process): {current:.0f} MiB now, {peak:.0f} MiB peak; "
                  f"before the watcher started: {before:.0f} MiB")
            task.cancel()
        finally:
            clusters.close()
            await cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
