"""The command line: `klepaas run | chat | plan | sandbox | demo | migrate`.

Settings are built once here (`Settings.load()`), logging configured once here; both are passed down.
Exit codes: 0 done, 1 an error result (or a bad invocation), 2 not done because it was not approved.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from klepaas.config import Settings
from klepaas.errors import KlepaasError
from klepaas.logging import configure_logging

app = typer.Typer(
    name="klepaas",
    help="K-Le-PaaS ChatOps: run your apps on Kubernetes in Korean or English, safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_ERROR = 0, 1
# Commands whose output a person reads in the terminal: log at WARNING unless KLEPAAS_LOG_LEVEL is set.
_QUIET_COMMANDS = frozenset({"chat", "plan", "demo"})


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


@app.callback()
def _root(ctx: typer.Context) -> None:
    try:
        settings = Settings.load()
    except ValueError as exc:  # pydantic's ValidationError: a malformed setting
        Console(stderr=True).print(f"[red]Invalid settings:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(EXIT_ERROR) from None
    level = settings.log.level
    if "level" not in settings.log.model_fields_set and ctx.invoked_subcommand in _QUIET_COMMANDS:
        level = "WARNING"  # a person reads stdout/stderr here: only what went wrong, unless asked
    configure_logging(level, settings.log.format)  # type: ignore[arg-type]
    ctx.obj = settings


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"✗ {message}", style="red", highlight=False)
    return typer.Exit(EXIT_ERROR)


@app.command()
def run(ctx: typer.Context) -> None:
    """The Slack bot: Socket Mode, plus /healthz and /readyz on KLEPAAS_HTTP_HOST:KLEPAAS_HTTP_PORT."""
    from klepaas.bot.runner import run as run_bot
    from klepaas.mcp_server.server import register_routes as mcp_routes

    try:
        asyncio.run(run_bot(_settings(ctx), routes=[mcp_routes]))
    except KlepaasError as exc:  # a missing or malformed token, bad kubeconfig, database down
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        Console(stderr=True).print("klepaas stopped")


@app.command()
def chat(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help='What to do, e.g. "status nginx" or "nginx 재시작해줘".')],
    user: Annotated[
        str, typer.Option("--user", help="Who is asking (for policy and the audit log).")
    ] = "console",
    channel: Annotated[
        str | None, typer.Option("--channel", help="Channel id, for its namespace binding.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan, decision and result as JSON.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm changes without asking.")] = False,
    cluster: Annotated[str | None, typer.Option("--cluster", help="Kubeconfig context to use.")] = None,
) -> None:
    """Send one request through the same pipeline as Slack and print the result."""
    from klepaas.console.chat import run_chat

    try:
        code = asyncio.run(
            run_chat(
                _settings(ctx),
                text,
                user=user,
                channel=channel,
                as_json=as_json,
                assume_yes=yes,
                cluster=cluster,
            )
        )
    except KlepaasError as exc:  # building services failed: bad kubeconfig, database down
        raise _fail(str(exc)) from None
    raise typer.Exit(code)


@app.command()
def plan(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Argument(help="An utterance; omit to read one per line from stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per utterance.")] = False,
) -> None:
    """Plan only: which command and arguments the planner picks. Executes nothing, needs no cluster."""
    from klepaas.console.planonly import run_plan

    lines = [text] if text is not None else (line.rstrip("\n") for line in sys.stdin)
    raise typer.Exit(asyncio.run(run_plan(_settings(ctx), lines, as_json=as_json)))


@app.command()
def sandbox(
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 0,
    kubeconfig: Annotated[Path, typer.Option("--kubeconfig", help="Where to write the kubeconfig.")] = Path(
        "klepaas-sandbox.kubeconfig"
    ),
    samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Load the sample apps.")] = True,
) -> None:
    """Run the local sandbox Kubernetes cluster in the foreground until Ctrl-C."""
    from klepaas.console.sandbox import serve_sandbox

    try:
        asyncio.run(serve_sandbox(port, kubeconfig.resolve(), samples=samples, console=Console()))
    except KeyboardInterrupt:
        Console().print("sandbox stopped")


@app.command()
def demo(
    ctx: typer.Context,
    script: Annotated[
        Path | None, typer.Option("--script", help="Run the requests in FILE (one per line) and exit.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm changes without asking.")] = False,
) -> None:
    """Everything on embedded defaults: sandbox cluster with sample apps, SQLite, rules, a console."""
    from klepaas.console.demo import run_demo

    console = Console()
    interactive = script is None and sys.stdin.isatty()
    lines: list[str] | None = None
    if script is not None:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise _fail(f"cannot read {script}: {exc.strerror}") from None
    elif not interactive:
        lines = sys.stdin.read().splitlines()
    try:
        failures = asyncio.run(
            run_demo(_settings(ctx), console, lines=lines, interactive=interactive, assume_yes=yes)
        )
    except KlepaasError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        failures = 0
    raise typer.Exit(EXIT_ERROR if failures and not interactive else EXIT_OK)


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Upgrade the database schema (DATABASE_URL) to the latest version."""
    from klepaas.storage import head_revision, redact_url
    from klepaas.storage import migrate as run_migrations

    url = _settings(ctx).storage.database_url
    try:
        run_migrations(url)
    except KlepaasError as exc:
        raise _fail(str(exc)) from None
    Console().print(f"database {redact_url(url)} is at revision {head_revision()}", highlight=False)


audit_app = typer.Typer(help="The audit log: every attempt, refusals included.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only attempts since: 2025-01-31, 24h, 7d.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Write the audit log as JSON lines (one attempt per line, oldest first)."""
    from klepaas.console.audit_export import parse_since, write_json_lines
    from klepaas.storage import Storage
    from klepaas.storage.audit_export import iter_audit

    try:
        start = parse_since(since) if since is not None else None
        storage = Storage.open(_settings(ctx).storage.database_url)
        try:
            if out is None:
                count = write_json_lines(iter_audit(storage.engine, start), sys.stdout)
            else:
                with out.open("w", encoding="utf-8") as handle:
                    count = write_json_lines(iter_audit(storage.engine, start), handle)
        finally:
            storage.close()
    except KlepaasError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None
    Console(stderr=True).print(f"{count} audit entries written", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
