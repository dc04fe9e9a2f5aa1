"""`metrics <app> [cpu|memory|restarts|requests] [--since 1h]` and `query_prometheus "<PromQL>"`.

Both ask Prometheus (`PROMETHEUS_BASE_URL`) for a range, and answer with the current value and the
trend in words plus a chart (an `Image` block: uploaded to the thread in Slack). The app's PromQL
uses the usual cAdvisor / kube-state-metrics names, selected by namespace and the app's pod names;
raw PromQL needs the admin:read scope.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import Field

from klepaas.commands.arg_types import K8sName, Namespace
from klepaas.commands.context import CommandContext
from klepaas.commands.monitoring.answer import chart_block, parse_since, summary_blocks
from klepaas.commands.monitoring.prometheus import PrometheusClient, Series, range_step
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Block, Code, Context, Result

MetricKind = Literal["cpu", "memory", "restarts", "requests"]
Since = Annotated[str, Field(description="How far back, e.g. 30m, 1h, 6h, 2d (at most 7d)")]

# kind -> (PromQL template over {selector}, unit, English title, Korean title)
APP_QUERIES: dict[str, tuple[str, str, str, str]] = {
    "cpu": ("sum(rate(container_cpu_usage_seconds_total{{{selector},container!=\"\"}}[2m]))",
            "cores", "CPU", "CPU"),
    "memory": ("sum(container_memory_working_set_bytes{{{selector},container!=\"\"}})",
               "bytes", "Memory", "메모리"),
    "restarts": ("sum(kube_pod_container_status_restarts_total{{{selector}}})",
                 "", "Restarts", "재시작"),
    "requests": ("sum(rate(http_requests_total{{{selector}}}[2m]))", "req/s", "Requests", "요청"),
}


class MetricsArgs(Args):
    name: K8sName
    kind: MetricKind = "cpu"
    namespace: Namespace | None = None
    since: Since = "1h"


class QueryArgs(Args):
    query: Annotated[str, Field(min_length=1, max_length=2000, description="A PromQL expression")]
    since: Since = "1h"


def app_query(kind: str, namespace: str, name: str) -> str:
    # Pods of a deployment are named <name>-<replicaset hash>-<suffix>; names are validated DNS labels.
    selector = f'namespace="{namespace}",pod=~"{name}-[a-z0-9]+-[a-z0-9]+"'
    return APP_QUERIES[kind][0].format(selector=selector)


async def _fetch(ctx: CommandContext, promql: str, since: str) -> tuple[list[Series], int]:
    seconds = parse_since(since)
    client = PrometheusClient(ctx.settings.integrations.prometheus_base_url)
    end = time.time()
    series = await client.query_range(promql, end - seconds, end, range_step(seconds))
    return [s for s in series if s.points], seconds


async def run_metrics(ctx: CommandContext, args: MetricsArgs) -> Result:
    namespace = args.namespace or "default"
    promql = app_query(args.kind, namespace, args.name)
    series, _ = await _fetch(ctx, promql, args.since)
    _, unit, title_en, title_ko = APP_QUERIES[args.kind]
    ko = ctx.lang == "ko"
    title = f"{args.name} {title_ko if ko else title_en} ({namespace}, {args.since})"
    data = {"query": promql, "series": [{"labels": s.labels, "points": s.points} for s in series]}
    if not series:
        return Result(
            command="metrics",
            status="info",
            summary=(f"{args.name}의 {title_ko} 데이터가 Prometheus에 없습니다." if ko
                     else f"Prometheus has no {title_en.lower()} data for {args.name} in {namespace}."),
            blocks=[Code(text=promql, title="PromQL")],
            data=data,
        )
    blocks: list[Block] = summary_blocks(series, unit, args.since, ctx.lang)
    blocks.append(await chart_block(series, title, unit))
    blocks.append(Context(text=f"PromQL: `{promql}`"))
    return Result(command="metrics", summary=title, blocks=blocks, data=data)


async def run_query(ctx: CommandContext, args: QueryArgs) -> Result:
    series, _ = await _fetch(ctx, args.query, args.since)
    ko = ctx.lang == "ko"
    data = {"query": args.query, "series": [{"labels": s.labels, "points": s.points} for s in series]}
    if not series:
        return Result(
            command="query_prometheus",
            status="info",
            summary="결과가 없습니다." if ko else "The query returned no data.",
            blocks=[Code(text=args.query, title="PromQL")],
            data=data,
        )
    title = f"{args.query[:80]} ({args.since})"
    blocks: list[Block] = summary_blocks(series, "", args.since, ctx.lang)
    blocks.append(await chart_block(series, title, ""))
    count = f"{len(series)}개 시계열" if ko else f"{len(series)} series"
    summary = f"{count}: `{args.query[:120]}`"
    return Result(command="query_prometheus", summary=summary, blocks=blocks, data=data)


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="metrics",
        args_model=MetricsArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_metrics,
        help_en="An app's CPU, memory, restarts or requests from Prometheus, with a chart",
        help_ko="앱의 CPU·메모리·재시작·요청 지표(Prometheus)와 차트",
        positional=("name", "kind"),
    ),
    CommandSpec(
        name="query_prometheus",
        args_model=QueryArgs,
        risk=Risk.READ,
        scope=Scope.ADMIN_READ,
        run=run_query,
        help_en="Run a raw PromQL query (admins) and chart it",
        help_ko="PromQL 쿼리 실행과 차트 (관리자)",
        positional=("query",),
        planner=False,  # raw PromQL is typed, never said
    ),
]
