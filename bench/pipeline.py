"""Pipeline figures: what the request pipeline costs over the bare kubernetes client, and how the
cluster-wide commands hold up at 2,000 deployments / 20,000 pods. One sandbox, one run.

    .venv/bin/python bench/pipeline.py [--runs 50] [--scale-runs 5] [--deployments 2000]
                                       [--replicas 10] [--namespaces 20]

The sandbox runs in a child process, as a real API server would: the bench's threads (the
pipeline's, the bare client's) never wait for the GIL on the server's work, nor it on theirs.

1. Overhead. `status`, `scale` and `restart` (sample apps) go `--runs` times each through
   `Pipeline.handle` (structured text, the rules planner, the default policy with an approver that
   approves, a SQLite audit log in a temp dir, the real kubernetes client) and, interleaved with
   them run by run, as bare `kubernetes` client calls that do the same, one after the other, with
   the client as `kubernetes.config` sets it up from the kubeconfig: the read, the server-side dry
   run the approver is shown and the change (the body read, the JSON parsed). p50 / p90 of each,
   the requests each sent (pipeline / bare, counted on the gateway's transport and the bare
   client's REST layer), the time the
   storage threads spent writing the audit log, history and deployment log, and the ratio of the
   p50s (target <= 1.3). "the change alone" is the bare read and write without the dry run, for
   reference. Where the pipeline saves time it is by sending together what does not depend on
   each other (the pods of an app whose selector it knows alongside the deployment read; a dry
   run alongside its read; the audit row alongside work that changes nothing), by sending an
   approved change on its preview's read with that read's resourceVersion as a precondition
   rather than reading again (`klepaas.commands.context.Observations`: one request fewer), by
   writing a read's audit completion behind its answer, by sending its requests with aiohttp on
   the event loop (the client builds them; no thread hand-offs) and by not re-applying the
   client's configuration before every request (see `klepaas.k8s.transport`): the bare calls do
   none of that. For status, the bare calls are also timed (interleaved too) with the client's
   token hook throttled as klepaas sets up its own: "bare, hook throttled", for reference.
2. Scale. `bench/sandbox_scale.py`'s loader puts `--deployments` deployments with `--replicas`
   pods each into the sandbox; once every pod is ready, `overview` and `list pods -n all` go
   1 + `--scale-runs` times each through the pipeline: the first run (the sandbox's first list
   after the load is slow, for the bare client too), then p50 and max of the rest (target < 2 s),
   and the API requests each made.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import kubernetes

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sandbox_scale import load, ready_pods, wait_rolled_out  # noqa: E402  (the sandbox's loader)
from klepaas.commands.context import Actor  # noqa: E402
from klepaas.commands.pipeline import Outcome, Pipeline, Request  # noqa: E402
from klepaas.commands.registry import Args, CommandSpec  # noqa: E402
from klepaas.commands.result import Result  # noqa: E402
from klepaas.commands.services import Services, build_services  # noqa: E402
from klepaas.config import KubeSettings, LLMSettings, Settings, StorageSettings  # noqa: E402
from klepaas.k8s.gateway import KubernetesGateway  # noqa: E402
from klepaas.k8s.sandbox.cluster import DEFAULT_CONTEXT, SandboxCluster  # noqa: E402
from klepaas.k8s.sandbox.controllers import ControllerOptions  # noqa: E402
from klepaas.k8s.sandbox.store import BY_KIND  # noqa: E402
from klepaas.k8s.transport import throttle_token_hook  # noqa: E402

WARMUP = 3
ME = Actor(id="U-bench", source="console", name="bench")
DEPLOYMENT = BY_KIND["Deployment"]
OPTIONS = ControllerOptions(pod_start_delay=0.2, pod_ready_delay=0.2, load_balancer_delay=0.2, seed=1)


class SandboxProcess:
    """The sandbox (sample apps) in a child process of its own, as a real API server would be: the
    bench's threads never wait for the GIL on the server's work, nor it on theirs. It takes
    requests over a pipe: load the big fleet (with `bench/sandbox_scale.py`'s loader), stop."""

    def __init__(self, kubeconfig: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_sandbox_main, args=(child, str(kubeconfig)), daemon=True)
        self.url = ""

    def call(self, *request: Any, timeout: float) -> Any:
        if request:
            self._conn.send(request)
        if not self._conn.poll(timeout):
            raise SystemExit(f"the sandbox did not answer {request or 'its start'} within {timeout:g}s")
        kind, value = self._conn.recv()
        if kind == "error":
            raise SystemExit(f"the sandbox failed: {value}")
        return value

    def __enter__(self) -> SandboxProcess:
        self._process.start()
        self.url = self.call(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._conn.send(("stop",))
            self._process.join(30)
        if self._process.is_alive():
            self._process.kill()


def _sandbox_main(conn: Connection, kubeconfig: str) -> None:
    asyncio.run(_sandbox_serve(conn, Path(kubeconfig)))


async def _sandbox_serve(conn: Connection, kubeconfig: Path) -> None:
    cluster = SandboxCluster(with_samples=True, controller_options=OPTIONS, history_size=10_000)
    await cluster.start()
    store = cluster.store
    loop = asyncio.get_running_loop()
    try:
        await wait_rolled_out(store, sum(d["spec"].get("replicas", 1) for d in store.list(DEPLOYMENT)), 30)
        cluster.write_kubeconfig(kubeconfig)
        conn.send(("ok", cluster.url))
        while True:
            request = await loop.run_in_executor(None, conn.recv)
            if request[0] == "stop":
                return
            _, namespaces, deployments, replicas, budget = request
            try:
                already = ready_pods(store)
                load(store, namespaces, deployments, replicas)
                conn.send(("ok", await wait_rolled_out(store, already + deployments * replicas, budget)))
            except SystemExit as exc:  # wait_rolled_out's way of saying the budget ran out
                conn.send(("error", str(exc)))
    finally:
        await cluster.stop()


class Approve:
    """Approves at once, asking no one: the console's `--yes`."""

    answers_at_once = True  # as ConsoleApprover(assume_yes=True): no stale-approval reads

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        return True


class RequestCounter:
    """Counts the HTTP requests a client sends (wraps its REST layer; this bench only)."""

    def __init__(self, api: kubernetes.client.ApiClient | None = None) -> None:
        self.count = 0
        if api is None:
            return
        rest = api.rest_client
        inner = rest.request

        def request(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return inner(*args, **kwargs)

        rest.request = request  # type: ignore[method-assign]

    @classmethod
    def of_gateway(cls, gateway: KubernetesGateway) -> RequestCounter:
        """Counts what a gateway sends: its requests go out through its transport (aiohttp),
        watch streams through its client."""
        counter = cls(gateway._api_client)
        transport = gateway._transport
        send = transport.send

        async def counted(*args: Any, **kwargs: Any) -> Any:
            counter.count += 1
            return await send(*args, **kwargs)

        transport.send = counted  # type: ignore[method-assign]
        return counter

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


class AuditTimer:
    """Time spent writing the audit log, history and deployment log (SQLite), in the storage
    threads or on the loop (`Storage.transaction_at_once`), summed per request (this bench only):
    the row begun, and the one transaction that completes it with its history and deployment rows."""

    def __init__(self, services: Services, pipeline: Pipeline) -> None:
        self.spent = 0.0
        storage = services.storage
        storage.audit.begin = self._timed(storage.audit.begin)  # type: ignore[method-assign]
        storage.audit.fill = self._timed(storage.audit.fill)  # type: ignore[method-assign]
        storage.transaction = self._timed_transaction(storage.transaction)  # type: ignore[method-assign]
        storage.transaction_at_once = self._timed_transaction(  # type: ignore[method-assign]
            storage.transaction_at_once
        )

    def _timed_transaction(self, transaction: Callable[[], Any]) -> Callable[[], Any]:
        @contextlib.contextmanager
        def timed() -> Iterator[Any]:
            start = time.perf_counter()
            try:
                with transaction() as connection:
                    yield connection
            finally:
                self.spent += time.perf_counter() - start

        return timed

    def _timed(self, write: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("connection") is not None:  # inside a transaction timed as a whole
                return write(*args, **kwargs)
            start = time.perf_counter()
            try:
                return write(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - start

        return timed

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


STAGES = ("plan", "policy", "audit", "read ∥ audit", "approval", "execute")


class StageTimer:
    """Where a request's time goes inside `Pipeline.handle`, by stage (this bench only; it wraps
    the pipeline's steps on this one instance). Each stage counts its own time, not that of the
    stages inside it:

    - "audit": what the request waited on the audit log alone (a row begun before a change, the
      completion of a change's row; a read's completion is written behind its answer);
    - "read ∥ audit": work that changes nothing run while the attempt's row is written (a read
      command, the dry-run preview), until both are done;
    - "approval": the rest of the approval step (the approver's answer, stale-approval reads);
    - "execute": what is left: the command itself and the glue between the steps."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.spent = dict.fromkeys(STAGES, 0.0)
        self._inner: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
            "inner", default=None
        )
        for name, stage in (
            ("_plan", "plan"),
            ("_open_audit", "audit"),
            ("_audit_finish", "audit"),
            ("_alongside_audit_begin", "read ∥ audit"),
            ("_approve", "approval"),
        ):
            setattr(pipeline, name, self._timed_async(getattr(pipeline, name), stage))
        pipeline.policy.decide = self._timed(pipeline.policy.decide, "policy")  # type: ignore[method-assign]

    def _timed(self, step: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                self._count(stage, time.perf_counter() - start, 0.0)

        return timed

    def _timed_async(self, step: Callable[..., Any], stage: str) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            inner: list[float] = [0.0]  # the time of the stages inside this one
            token = self._inner.set(inner)
            start = time.perf_counter()
            try:
                return await step(*args, **kwargs)
            finally:
                self._inner.reset(token)
                self._count(stage, time.perf_counter() - start, inner[0])

        return timed

    def _count(self, stage: str, elapsed: float, inner: float) -> None:
        self.spent[stage] += elapsed - inner
        outer = self._inner.get()
        if outer is not None:
            outer[0] += elapsed

    def take(self, total: float) -> dict[str, float]:
        """The stages' sums since the last take; "execute" is what `total` leaves over."""
        spent, self.spent = self.spent, dict.fromkeys(STAGES, 0.0)
        spent["execute"] = total - sum(spent.values())
        return spent


@dataclass
class Timing:
    samples: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        return self.pct(0.9)

    def ms(self) -> str:
        return f"{self.p50 * 1000:5.1f} / {self.p90 * 1000:5.1f} ms"


async def time_both(
    pipeline: Pipeline,
    text: Callable[[int], str],
    bare: Callable[[int], object],
    runs: int,
    reference: Callable[[int], object] | None = None,
) -> tuple[Timing, Timing, Timing | None]:
    """Run i through the pipeline, then run i with the bare client (in a thread, timed there), then
    the reference bare run if any, and so on: interleaved, so that whatever else loads the machine
    weighs on all alike."""
    piped: list[float] = []
    plain: list[float] = []
    other: list[float] = []

    def bare_timed(call: Callable[[int], object], i: int) -> float:
        start = time.perf_counter()
        call(i)
        return time.perf_counter() - start

    for i in range(WARMUP + runs):
        start = time.perf_counter()
        outcome = await pipeline.handle(Request(actor=ME, text=text(i)), Approve())
        elapsed = time.perf_counter() - start
        if not outcome.ok:
            raise SystemExit(f"{text(i)!r} failed: {outcome.result.summary}")
        await pipeline.drain()  # a read's audit completion, written behind its answer: not the bare run's
        bare_elapsed = await asyncio.to_thread(bare_timed, bare, i)
        other_elapsed = await asyncio.to_thread(bare_timed, reference, i) if reference else 0.0
        if i >= WARMUP:
            piped.append(elapsed)
            plain.append(bare_elapsed)
            other.append(other_elapsed)
    return Timing(piped), Timing(plain), Timing(other) if reference else None


def time_bare(call: Callable[[int], object], runs: int, warmup: int = WARMUP) -> Timing:
    samples: list[float] = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        call(i)
        if i >= warmup:
            samples.append(time.perf_counter() - start)
    return Timing(samples)


class Bare:
    """The requests the commands send, made with the bare client: read the body, parse the JSON."""

    def __init__(self, api: kubernetes.client.ApiClient) -> None:
        self.apps = kubernetes.client.AppsV1Api(api)
        self.core = kubernetes.client.CoreV1Api(api)

    @staticmethod
    def body(response: Any) -> Any:
        try:
            return json.loads(response.data)
        finally:
            response.release_conn()

    @staticmethod
    def twice(change: Callable[..., None], *args: Any) -> None:
        """A change as the pipeline makes it: its dry run (what the approver is shown), then for real."""
        change(*args, dry_run=True)
        change(*args, dry_run=False)

    def status(self, name: str, namespace: str) -> None:
        d = self.body(self.apps.read_namespaced_deployment(name, namespace, _preload_content=False))
        selector = ",".join(f"{k}={v}" for k, v in d["spec"]["selector"]["matchLabels"].items())
        self.body(
            self.core.list_namespaced_pod(
                namespace, label_selector=selector, limit=500, _preload_content=False
            )
        )

    def scale(self, name: str, namespace: str, replicas: int, dry_run: bool) -> None:
        self.body(self.apps.read_namespaced_deployment_scale(name, namespace, _preload_content=False))
        self.body(
            self.apps.patch_namespaced_deployment_scale(
                name,
                namespace,
                {"spec": {"replicas": replicas}},
                field_manager="klepaas",
                _content_type="application/merge-patch+json",
                _preload_content=False,
                dry_run="All" if dry_run else None,
            )
        )

    def restart(self, name: str, namespace: str, dry_run: bool) -> None:
        self.body(self.apps.read_namespaced_deployment(name, namespace, _preload_content=False))
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        patch = {
            "metadata": {"annotations": {"kubernetes.io/change-cause": "restart via bench"}},
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}},
        }
        self.body(
            self.apps.patch_namespaced_deployment(
                name,
                namespace,
                patch,
                field_manager="klepaas",
                _content_type="application/strategic-merge-patch+json",
                _preload_content=False,
                dry_run="All" if dry_run else None,
            )
        )


def settings_for(kubeconfig: Path, database: Path) -> Settings:
    return Settings(
        kube=KubeSettings(kubeconfig=kubeconfig, context=DEFAULT_CONTEXT),
        storage=StorageSettings(database_url=f"sqlite:///{database}"),
        llm=LLMSettings(providers=""),
    )


async def overhead(
    services: Services, api: kubernetes.client.ApiClient, throttled: kubernetes.client.ApiClient, runs: int
) -> None:
    pipeline = services.pipeline()
    gateway = services.clusters.get()
    assert isinstance(gateway, KubernetesGateway)
    counter = RequestCounter.of_gateway(gateway)
    audit = AuditTimer(services, pipeline)
    stages = StageTimer(pipeline)
    breakdown: list[tuple[str, float, float, dict[str, float]]] = []
    bare = Bare(api)
    bare_counter = RequestCounter(api)

    def replicas(i: int) -> int:  # api runs 2: alternate 3, 2, 3... so that every scale changes it
        return 3 - i % 2

    # label, the pipeline's text for run i, the same requests bare, the read and the write alone
    cases: list[tuple[str, Callable[[int], str], Callable[[int], object], Callable[[int], object] | None]] = [
        ("status nginx", lambda i: "status nginx", lambda i: bare.status("nginx", "default"), None),
        (
            "scale api N -n staging",
            lambda i: f"scale api {replicas(i)} -n staging",
            lambda i: bare.twice(bare.scale, "api", "staging", replicas(i)),
            lambda i: bare.scale("api", "staging", replicas(i), dry_run=False),
        ),
        (
            "restart web -n staging",
            lambda i: "restart web -n staging",
            lambda i: bare.twice(bare.restart, "web", "staging"),
            lambda i: bare.restart("web", "staging", dry_run=False),
        ),
    ]
    print(f"\n1. pipeline vs bare kubernetes client: p50 / p90 of {runs} runs each, {WARMUP} warm-ups before")
    print(
        f"   {'command':<23} {'requests':>8}  {'through the pipeline':<21} {'audit write':>11}  "
        f"{'bare, same requests':<21} {'ratio':>5}"
    )
    throttled_bare = Bare(throttled)
    for label, text, same, minimum in cases:
        counter.take()
        audit.take()
        stages.take(0.0)
        bare_counter.take()
        # For status, also the bare client with its token hook throttled as klepaas sets up its
        # own, interleaved too: the same requests without the hook's cost.
        reference = (lambda i: throttled_bare.status("nginx", "default")) if label == "status nginx" else None
        piped, plain, quicker = await time_both(pipeline, text, same, runs, reference)
        requests = counter.take() / (runs + WARMUP)
        plain_requests = bare_counter.take() / (runs + WARMUP)
        audited = audit.take() / (runs + WARMUP)
        total = sum(piped.samples) + WARMUP * piped.p50  # the warm-ups' time, as the p50, for the means
        breakdown.append((label, total / (runs + WARMUP), audited, stages.take(total)))
        ratio = piped.p50 / plain.p50
        verdict = "ok" if ratio <= 1.3 else "missed (target <= 1.3)"
        print(
            f"   {label:<23} {requests:>4.3g}/{plain_requests:<3.3g}  {piped.ms():<21} "
            f"{audited * 1000:8.1f} ms  {plain.ms():<21} {ratio:5.2f}  {verdict}"
        )
        if quicker is not None:
            print(
                f"   {'  bare, hook throttled':<23} {'':>8}  {'':<21} {'':>11}  {quicker.ms():<21} "
                f"{piped.p50 / quicker.p50:5.2f}  (for reference: the token hook throttled, as klepaas "
                "sets up its client)"
            )
        if minimum is not None:
            least = await asyncio.to_thread(time_bare, minimum, runs)
            least_requests = bare_counter.take() / (runs + WARMUP)
            print(
                f"   {'  the change alone':<23} {'':>4} {least_requests:<3g}  {'':<21} {'':>11}  "
                f"{least.ms():<21} {piped.p50 / least.p50:5.2f}  (for reference: no dry run, no checks)"
            )
    print(
        "\n   where the pipeline's time goes: mean ms per request by stage, each without the stages inside"
        "\n   it (see StageTimer); 'written' is the storage writes' own time in their threads, awaited or not"
    )
    print(
        f"   {'command':<23} "
        + " ".join(f"{stage:>12}" for stage in STAGES)
        + f" {'total':>7} {'written':>9}"
    )
    for label, mean, audited, spent in breakdown:
        cells = [f"{spent[stage] / (runs + WARMUP) * 1000:12.2f}" for stage in STAGES]
        print(f"   {label:<23} " + " ".join(cells) + f" {mean * 1000:7.2f} {audited * 1000:9.2f}")


async def at_scale(services: Services, sandbox: SandboxProcess, args: argparse.Namespace) -> None:
    print(
        f"\n2. at scale: {args.deployments} deployments x {args.replicas} pods in {args.namespaces} "
        "namespaces, loaded with bench/sandbox_scale.py's loader"
    )
    start = time.perf_counter()
    request = ("load", args.namespaces, args.deployments, args.replicas, args.budget)
    rollout = await asyncio.to_thread(sandbox.call, *request, timeout=args.budget + 120)
    print(f"   every pod ready after {time.perf_counter() - start:.1f}s (rollout {rollout:.1f}s)")
    pipeline = services.pipeline()
    gateway = services.clusters.get()
    assert isinstance(gateway, KubernetesGateway)
    counter = RequestCounter.of_gateway(gateway)
    print(
        f"   {'command':<18} {'1st run':>8} {'p50':>7} {'max':>7} {'requests':>9}  {'':<21}  summary"
        f"\n   (the first run of each is not counted: the sandbox's first list after the load is slow)"
    )
    for text in ("overview", "list pods -n all"):
        samples: list[float] = []
        requests: list[int] = []
        outcome: Outcome | None = None
        for _ in range(1 + args.scale_runs):
            counter.take()
            began = time.perf_counter()
            outcome = await pipeline.handle(Request(actor=ME, text=text), Approve())
            samples.append(time.perf_counter() - began)
            requests.append(counter.take())
            if not outcome.ok:
                raise SystemExit(f"{text!r} failed: {outcome.result.summary}")
        assert outcome is not None
        first, timed = samples[0], samples[1:]
        p50, worst = statistics.median(timed), max(timed)
        verdict = "ok" if worst < 2.0 else "missed (target < 2 s)"
        print(
            f"   {text:<18} {first:7.2f}s {p50:6.2f}s {worst:6.2f}s {requests[-1]:>9}  {verdict:<21}  "
            f"{outcome.result.summary}"
        )


async def main_async(args: argparse.Namespace) -> None:
    with TemporaryDirectory() as tmp, SandboxProcess(Path(tmp) / "kubeconfig") as sandbox:
        kubeconfig = Path(tmp) / "kubeconfig"
        print(f"sandbox at {sandbox.url} (a process of its own); audit log: SQLite in {tmp}")
        services = await build_services(settings_for(kubeconfig, Path(tmp) / "audit.db"))
        api = kubernetes.config.new_client_from_config(config_file=str(kubeconfig), context=DEFAULT_CONTEXT)
        throttled = kubernetes.config.new_client_from_config(
            config_file=str(kubeconfig), context=DEFAULT_CONTEXT
        )
        throttle_token_hook(throttled.configuration)
        try:
            await overhead(services, api, throttled, args.runs)
            if args.deployments:
                await at_scale(services, sandbox, args)
        finally:
            api.close()
            throttled.close()
            await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per command for the overhead")
    parser.add_argument("--scale-runs", type=int, default=5, help="timed runs of overview and list pods")
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=2000, help="0 skips the scale part")
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds allowed for the big rollout")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
