"""`klepaas demo`: a sandbox cluster with sample apps, SQLite, the rule-based planner, the console.

Everything runs in this process on embedded defaults; nothing outside the temp dir is touched
(unless DATABASE_URL is set, which is then used).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from klepaas.commands.context import Actor
from klepaas.commands.services import Services, build_services
from klepaas.config import Settings
from klepaas.console.approver import ConsoleApprover
from klepaas.console.repl import ask_outside_history, run_interactive, run_lines
from klepaas.console.session import ConsoleSession
from klepaas.k8s.sandbox.cluster import DEFAULT_CONTEXT, SandboxCluster, wait_until_answers
from klepaas.k8s.sandbox.store import BY_KIND

# The sample apps' first rollout takes a few seconds; the tour should start from a healthy cluster.
SAMPLES_READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class TourStep:
    text: str
    note: str
    expect_ok: bool = True


# What a newcomer sees when `klepaas demo` runs without a terminal and without input.
TOUR: tuple[TourStep, ...] = (
    TourStep("overview", "The whole cluster at a glance."),
    TourStep("status nginx", "One app: replicas, pods, image."),
    TourStep("scale api 3 -n staging", "A change: it asks first (confirmed automatically in the tour)."),
    TourStep("logs api -n staging --lines 5", "The latest log lines."),
    TourStep(
        "deploy api image=ghcr.io/klepaas/api:1.5.0-missing -n staging",
        "A bad deploy: the image cannot be pulled. Watch the rollout fail.",
        expect_ok=False,
    ),
    TourStep("rollback api -n staging", "Back to the previous revision, followed live."),
    TourStep("rollout history api -n staging", "What happened, revision by revision."),
    TourStep("nginx 상태 보여줘", "Plain Korean works too (the rule-based planner, no LLM needed)."),
    TourStep("help", "Everything else you can ask."),
)


async def run_tour(session: ConsoleSession, steps: Iterable[TourStep] = TOUR) -> int:
    """Run the tour; returns how many steps did not go as expected."""
    surprises = 0
    for step in steps:
        session.console.print(Text(f"# {step.note}", style="dim italic"))
        await run_lines(session, [step.text])
        if session.last_ok != step.expect_ok:
            surprises += 1
    return surprises


@dataclass
class Demo:
    services: Services
    sandbox: SandboxCluster
    workdir: Path
    kubeconfig: Path


def demo_settings(settings: Settings, workdir: Path, kubeconfig: Path) -> Settings:
    """The user's settings pointed at the sandbox: its kubeconfig, rules only, SQLite in `workdir`."""
    updates: dict[str, object] = {
        "kube": settings.kube.model_copy(update={"kubeconfig": kubeconfig, "context": DEFAULT_CONTEXT}),
        "llm": settings.llm.model_copy(update={"providers": ""}),
    }
    if "database_url" not in settings.storage.model_fields_set:  # DATABASE_URL not set: a throwaway SQLite
        updates["storage"] = settings.storage.model_copy(
            update={"database_url": f"sqlite:///{workdir / 'klepaas-demo.db'}"}
        )
    return settings.model_copy(update=updates)


async def wait_for_samples(sandbox: SandboxCluster, timeout: float = SAMPLES_READY_TIMEOUT) -> bool:
    """Wait until every deployment in the sandbox is available; False if `timeout` passed first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        deployments = sandbox.store.list(BY_KIND["Deployment"])
        if all(
            (d.get("status") or {}).get("availableReplicas", 0) >= d.get("spec", {}).get("replicas", 1)
            for d in deployments
        ):
            return True
        await asyncio.sleep(0.1)  # the controllers run on this loop; yield to them
    return False


@asynccontextmanager
async def running_demo(settings: Settings, *, samples: bool = True) -> AsyncIterator[Demo]:
    with tempfile.TemporaryDirectory(prefix="klepaas-demo-") as tmp:
        workdir = Path(tmp)
        sandbox = SandboxCluster(with_samples=samples)
        await sandbox.start("127.0.0.1", 0)
        try:
            await wait_until_answers(sandbox.url)
            if samples:
                await wait_for_samples(sandbox)
            kubeconfig = sandbox.write_kubeconfig(workdir / "kubeconfig")
            services = await build_services(demo_settings(settings, workdir, kubeconfig))
            try:
                yield Demo(services=services, sandbox=sandbox, workdir=workdir, kubeconfig=kubeconfig)
            finally:
                await services.close()
        finally:
            await sandbox.stop()


async def run_demo(
    settings: Settings,
    console: Console,
    *,
    lines: Iterable[str] | None,
    interactive: bool,
    assume_yes: bool = False,
    user: str = "demo-user",
) -> int:
    """Run the demo console; returns the number of failed requests.

    `interactive`: a terminal prompt. Otherwise `lines` are run one per line; with no lines at all,
    the tour runs (its changes auto-confirmed, so a newcomer sees every step work).
    """
    async with running_demo(settings) as demo:
        console.print(
            Text(
                f"Sandbox cluster at {demo.sandbox.url} (kubeconfig {demo.kubeconfig}); planner: rules only.",
                style="dim",
            )
        )
        requests = [line for line in (lines or ()) if line.strip()]
        tour = not interactive and not requests
        approver = ConsoleApprover(
            console,
            assume_yes=assume_yes or tour,
            interactive=interactive,
            ask=ask_outside_history(console) if interactive else None,
        )
        session = ConsoleSession(
            demo.services.pipeline(),
            console,
            actor=Actor(id=user, source="console", name=user),
            approver=approver,
            verbose=True,
        )
        if interactive:
            return await run_interactive(session)
        if tour:
            console.print(
                Text("No input: a short tour. Changes are confirmed automatically here.", style="dim")
            )
            console.print()
            return await run_tour(session)
        return await run_lines(session, requests)
