"""Commands that list things: list_* , overview, cost_analysis.

Each list is fetched in pages (the gateway's `limit`/`continue`), up to `FETCH_LIMIT` items;
tables show `ROW_LIMIT` rows, the interesting ones first, and count the rest ("and N more").
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from klepaas.commands.arg_types import Namespace
from klepaas.commands.builtin._common import (
    FETCH_LIMIT,
    HEALTH_ICON,
    PodIndex,
    age,
    app_health,
    by_namespace,
    cap,
    cores,
    footer,
    gib,
    list_in,
    list_scope,
    localise_errors,
    scope_label,
)
from klepaas.commands.builtin.cost import estimate
from klepaas.commands.builtin.inspect import routes_for
from klepaas.commands.context import CommandContext
from klepaas.commands.i18n import t
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Block, Context, Fields, Header, Result, Status, Table, Text
from klepaas.errors import Forbidden
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.models import Deployment, Node, Pod, ResourceList
from klepaas.k8s.rollout import pod_problems
from klepaas.llm.plan import Lang


class NamespaceArgs(Args):
    namespace: Namespace | None = None


class NoArgs(Args):
    pass


def _total(listed: ResourceList[Any]) -> int | None:
    return None if listed.remaining is None else len(listed.items) + listed.remaining


def _table(
    lang: Lang, columns: list[str], rows: list[list[str]], scope: list[str] | None, listed: ResourceList[Any]
) -> Table:
    """A table with a namespace column when more than one namespace is listed."""
    multi = scope is None or len(scope) > 1
    if not multi:
        rows = [r[1:] for r in rows]
        columns = columns[1:]
    shown, omitted = cap(rows)
    omitted += listed.remaining or 0
    return Table(columns=[t(lang, f"col.{c}") for c in columns], rows=shown, omitted=omitted)


def _list_result(
    ctx: CommandContext,
    gw: KubeGateway,
    command: str,
    what: str,
    scope: list[str] | None,
    listed: ResourceList[Any],
    table: Table,
    data: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
    status: Status = "success",
) -> Result:
    lang = ctx.lang
    where = scope_label(lang, scope)
    count = _total(listed)
    blocks: list[Block] = [Header(text=t(lang, f"title.{what}", namespace=where))]
    if listed.items:
        blocks.append(table)
    else:
        blocks.append(Text(text=t(lang, "empty.list", what=t(lang, f"noun.{what}"), namespace=where)))
    blocks.append(footer(ctx, gw, where))
    return Result(
        command=command,
        status=status,
        summary=t(
            lang,
            "list.summary",
            count=count if count is not None else f"{len(listed.items)}+",
            what=t(lang, f"noun.{what}"),
            namespace=where,
        ),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespaces": scope,
            "count": count,
            "items": data,
            "truncated": not listed.complete,
            **(extra or {}),
        },
    )


# ---- list_pods ------------------------------------------------------------------------------


@localise_errors
async def run_list_pods(ctx: CommandContext, args: NamespaceArgs) -> Result:
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    listed = await list_in(gw, gw.list_pods, scope)
    pods = sorted(listed.items, key=lambda p: (_pod_fine(p), p.namespace, p.name))
    rows = [
        [
            p.namespace,
            p.name,
            "{}/{}".format(*p.ready_count),
            p.display_status,
            str(p.restarts),
            age(p.meta.created),
            p.node or "-",
        ]
        for p in pods
    ]
    data = [
        {
            "namespace": p.namespace,
            "name": p.name,
            "ready": "{}/{}".format(*p.ready_count),
            "status": p.display_status,
            "restarts": p.restarts,
            "node": p.node,
            "ip": p.ip,
        }
        for p in pods
    ]
    table = _table(
        ctx.lang, ["namespace", "pod", "ready", "status", "restarts", "age", "node"], rows, scope, listed
    )
    statuses = Counter(p.display_status for p in pods)
    failing = sum(1 for p in pods if not _pod_fine(p))
    return _list_result(
        ctx,
        gw,
        "list_pods",
        "pods",
        scope,
        listed,
        table,
        data,
        {"by_status": dict(statuses), "not_ready": failing},
        status="warning" if failing else "success",
    )


def _pod_fine(p: Pod) -> bool:
    return p.phase == "Succeeded" or (p.ready and not pod_problems([p]))


# ---- list_deployments -----------------------------------------------------------------------


@localise_errors
async def run_list_deployments(ctx: CommandContext, args: NamespaceArgs) -> Result:
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    listed = await list_in(gw, gw.list_deployments, scope)
    items = sorted(listed.items, key=lambda d: (d.status.available >= d.replicas, d.namespace, d.name))
    rows = [
        [
            d.namespace,
            d.name,
            f"{d.status.ready}/{d.replicas}",
            str(d.status.updated),
            str(d.status.available),
            ", ".join(d.images),
            age(d.meta.created),
        ]
        for d in items
    ]
    data = [
        {
            "namespace": d.namespace,
            "name": d.name,
            "ready": d.status.ready,
            "desired": d.replicas,
            "updated": d.status.updated,
            "available": d.status.available,
            "images": d.images,
            "revision": d.revision,
        }
        for d in items
    ]
    table = _table(
        ctx.lang,
        ["namespace", "deployment", "ready", "updated", "available", "images", "age"],
        rows,
        scope,
        listed,
    )
    return _list_result(ctx, gw, "list_deployments", "deployments", scope, listed, table, data)


# ---- list_services --------------------------------------------------------------------------


@localise_errors
async def run_list_services(ctx: CommandContext, args: NamespaceArgs) -> Result:
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    listed = await list_in(gw, gw.list_services, scope)
    rows = [
        [
            s.namespace,
            s.name,
            s.type,
            s.cluster_ip or "-",
            ", ".join(s.load_balancer + s.external_ips) or "-",
            ", ".join(
                f"{p.port}{':' + str(p.node_port) if p.node_port else ''}/{p.protocol}" for p in s.ports
            )
            or "-",
            age(s.meta.created),
        ]
        for s in listed.items
    ]
    data = [
        {
            "namespace": s.namespace,
            "name": s.name,
            "type": s.type,
            "cluster_ip": s.cluster_ip,
            "external": list(s.load_balancer + s.external_ips),
            "ports": [
                {
                    "port": p.port,
                    "target_port": p.target_port,
                    "node_port": p.node_port,
                    "protocol": p.protocol,
                    "name": p.name,
                }
                for p in s.ports
            ],
            "selector": s.selector,
        }
        for s in listed.items
    ]
    table = _table(
        ctx.lang,
        ["namespace", "service", "type", "cluster_ip", "external", "ports", "age"],
        rows,
        scope,
        listed,
    )
    return _list_result(ctx, gw, "list_services", "services", scope, listed, table, data)


# ---- list_ingresses -------------------------------------------------------------------------


@localise_errors
async def run_list_ingresses(ctx: CommandContext, args: NamespaceArgs) -> Result:
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    listed = await list_in(gw, gw.list_ingresses, scope)
    rows, data = [], []
    for ing in listed.items:
        hosts = sorted({r.host or "*" for r in ing.rules}) or ["*"]
        backends = sorted({f"{p.path} → {p.service}:{p.port}" for r in ing.rules for p in r.paths})
        rows.append(
            [
                ing.namespace,
                ing.name,
                ing.class_name or "-",
                ", ".join(hosts),
                ", ".join(ing.load_balancer) or "-",
                "; ".join(backends) or "-",
                age(ing.meta.created),
            ]
        )
        data.append(
            {
                "namespace": ing.namespace,
                "name": ing.name,
                "class": ing.class_name,
                "hosts": hosts,
                "tls_hosts": list(ing.tls_hosts),
                "address": list(ing.load_balancer),
                "backends": backends,
            }
        )
    table = _table(
        ctx.lang,
        ["namespace", "ingress", "class", "hosts", "address", "backends", "age"],
        rows,
        scope,
        listed,
    )
    return _list_result(ctx, gw, "list_ingresses", "ingresses", scope, listed, table, data)


# ---- list_endpoints -------------------------------------------------------------------------


@localise_errors
async def run_list_endpoints(ctx: CommandContext, args: NamespaceArgs) -> Result:
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    listed = await list_in(gw, gw.list_endpoints, scope)
    rows, data = [], []
    for ep in sorted(listed.items, key=lambda e: (bool(e.ready), e.namespace, e.name)):
        ports: list[int | None] = [p.port for p in ep.ports] or [None]
        addresses = [f"{a.ip}:{ports[0]}" if ports[0] else a.ip for a in ep.ready]
        shown = ", ".join(addresses[:3]) + (f" +{len(addresses) - 3}" if len(addresses) > 3 else "")
        rows.append(
            [
                ep.namespace,
                ep.name,
                shown or "<none>",
                f"{len(ep.ready)}/{len(ep.addresses)}",
                age(ep.meta.created),
            ]
        )
        data.append(
            {
                "namespace": ep.namespace,
                "name": ep.name,
                "ready": len(ep.ready),
                "total": len(ep.addresses),
                "addresses": [a.ip for a in ep.addresses],
                "ports": [p.port for p in ep.ports],
            }
        )
    table = _table(ctx.lang, ["namespace", "name", "endpoints", "ready", "age"], rows, scope, listed)
    return _list_result(ctx, gw, "list_endpoints", "endpoints", scope, listed, table, data)


# ---- list_namespaces ------------------------------------------------------------------------


@localise_errors
async def run_list_namespaces(ctx: CommandContext, args: NoArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    listed = await gw.list_namespaces(limit=2000)
    items = [n for n in listed.items if not ctx.allowed_namespaces or n.name in ctx.allowed_namespaces]
    shown, omitted = cap(items)
    rows = [[n.name, n.phase, age(n.meta.created)] for n in shown]
    blocks: list[Block] = [
        Header(text=t(lang, "title.namespaces")),
        Table(
            columns=[t(lang, f"col.{c}") for c in ("namespace", "status", "age")],
            rows=rows,
            omitted=omitted + (listed.remaining or 0),
        ),
        footer(ctx, gw),
    ]
    count = len(items) + (listed.remaining or 0)
    return Result(
        command="list_namespaces",
        summary=t(lang, "list.summary_cluster", count=count, what=t(lang, "noun.namespaces")),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "count": count,
            "items": [
                {
                    "name": n.name,
                    "status": n.phase,
                    "created": n.meta.created.isoformat() if n.meta.created else None,
                }
                for n in items
            ],
        },
    )


# ---- list_apps ------------------------------------------------------------------------------


@localise_errors
async def run_list_apps(ctx: CommandContext, args: NamespaceArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    deployments, pods, services, ingresses = await asyncio.gather(
        list_in(gw, gw.list_deployments, scope),
        list_in(gw, gw.list_pods, scope),
        list_in(gw, gw.list_services, scope),
        list_in(gw, gw.list_ingresses, scope),
    )
    rows, data = [], []
    entries = []
    pods_by_app = PodIndex(pods.items)
    services_in, ingresses_in = by_namespace(services.items), by_namespace(ingresses.items)
    for d in deployments.items:
        health, problems = app_health(d, pods_by_app.of(d))
        svcs = [s for s in services_in.get(d.namespace, ()) if s.selects(d.template.labels)]
        ings = ingresses_in.get(d.namespace, [])
        routes = routes_for(svcs, ings, None)
        public = [r["url"] for r in routes if r["scope"] == "public"]
        address = public[0] if public else (routes[0]["url"] if routes else "-")
        entries.append((health == "healthy", d.namespace, d.name, d, health, problems, address, routes))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    for _, _, _, d, health, problems, address, routes in entries:
        rows.append(
            [
                d.namespace,
                f"{HEALTH_ICON[health]} {d.name}",
                f"{d.status.ready}/{d.replicas}",
                ", ".join(d.images),
                address,
                age(d.meta.created),
            ]
        )
        data.append(
            {
                "namespace": d.namespace,
                "name": d.name,
                "health": health,
                "ready": d.status.ready,
                "desired": d.replicas,
                "images": d.images,
                "address": None if address == "-" else address,
                "routes": [r["url"] for r in routes],
                "problems": len(problems),
            }
        )
    table = _table(lang, ["namespace", "app", "ready", "images", "address", "age"], rows, scope, deployments)
    unhealthy = sum(1 for e in entries if e[4] not in ("healthy", "stopped"))
    return _list_result(
        ctx,
        gw,
        "list_apps",
        "apps",
        scope,
        deployments,
        table,
        data,
        {"unhealthy": unhealthy},
        status="warning" if unhealthy else "success",
    )


# ---- overview -------------------------------------------------------------------------------


async def _nodes(gw: KubeGateway) -> list[Node] | None:
    try:
        return (await gw.list_nodes(limit=2000)).items
    except Forbidden:  # a namespace-scoped identity may not read nodes; the rest still helps
        return None


# Apps whose own status is not healthy get their pods read one list each, up to this many; more
# than that, and the pods of their namespaces are listed instead.
_APPS_LOOKED_INTO = 20
NOT_RUNNING = "status.phase!=Running"


async def _pod_count(gw: KubeGateway, scope: list[str] | None) -> int | None:
    """How many pods there are, from the server's count: one single-item list per namespace (one
    for the whole cluster). None when the server does not count (the caller lists them instead)."""
    where: list[str | None] = [None] if scope is None else list(scope)
    parts = await asyncio.gather(*(gw.list_pods(ns, limit=1) for ns in where))
    if any(part.remaining is None for part in parts):
        return None
    return sum(len(part.items) + (part.remaining or 0) for part in parts)


async def _pods_of_apps(gw: KubeGateway, apps: list[Deployment]) -> PodIndex:
    """The pods of `apps`, by app: a list per app by its selector, or per namespace when many."""
    if len(apps) <= _APPS_LOOKED_INTO:
        parts = await asyncio.gather(
            *(gw.list_pods(d.namespace, label_selector=d.label_selector, limit=FETCH_LIMIT) for d in apps)
        )
        return PodIndex(pod for part in parts for pod in part.items)
    namespaces = sorted({d.namespace for d in apps})
    return PodIndex((await list_in(gw, gw.list_pods, namespaces, check_namespaces=False)).items)


@localise_errors
async def run_overview(ctx: CommandContext, args: NamespaceArgs) -> Result:
    """Nodes, apps and pods at a glance, and the apps that need attention.

    An app is judged by its own status first: only apps that are not plainly healthy (or stopped)
    have their pods read, to say what is wrong with them. Pods are counted by the server, and the
    ones that are not running are the only pods listed cluster-wide, so that 20,000 pods cost a
    handful of small requests, not a download of every pod."""
    lang = ctx.lang
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace or "*")
    nodes, deployments, counted, not_running = await asyncio.gather(
        _nodes(gw),
        list_in(gw, gw.list_deployments, scope),
        _pod_count(gw, scope),
        list_in(gw, gw.list_pods, scope, check_namespaces=False, field_selector=NOT_RUNNING),
    )
    if counted is None:  # no count from the server: every pod, as far as FETCH_LIMIT goes
        pods = await list_in(gw, gw.list_pods, scope, check_namespaces=False)
        pod_total = len(pods.items) + (pods.remaining or 0)
        phases = Counter(p.phase for p in pods.items)
        pods_complete = pods.complete
    else:
        pod_total = counted
        phases = Counter(p.phase for p in not_running.items)
        phases["Running"] = max(0, counted - len(not_running.items) - (not_running.remaining or 0))
        pods_complete = True
    closer_look = [d for d in deployments.items if app_health(d, [])[0] not in ("healthy", "stopped")]
    pods_by_app = await _pods_of_apps(gw, closer_look) if closer_look else PodIndex(())
    looked_into = {(d.namespace, d.name) for d in closer_look}
    health_counts: Counter[str] = Counter()
    attention: list[list[str]] = []
    attention_data: list[dict[str, Any]] = []
    for d in deployments.items:
        looked = (d.namespace, d.name) in looked_into
        health, problems = app_health(d, pods_by_app.of(d) if looked else [])
        health_counts[health] += 1
        if health in ("degraded", "failed", "progressing"):
            detail = ", ".join(sorted({p.reason for p in problems})) or f"{d.status.available}/{d.replicas}"
            attention.append([d.namespace, d.name, t(lang, f"health.{health}"), detail])
            attention_data.append(
                {"namespace": d.namespace, "name": d.name, "health": health, "detail": detail}
            )
    fields: list[tuple[str, str]] = []
    if nodes is not None:
        ready_nodes = sum(1 for n in nodes if n.ready)
        fields += [
            (t(lang, "label.nodes"), t(lang, "word.ready_of", ready=ready_nodes, total=len(nodes))),
            (t(lang, "label.cpu"), cores(sum(n.allocatable.cpu for n in nodes))),
            (t(lang, "label.memory"), gib(sum(n.allocatable.memory for n in nodes))),
        ]
    healthy = health_counts["healthy"]
    total_apps = len(deployments.items)
    namespaces = sorted({d.namespace for d in deployments.items} | {p.namespace for p in not_running.items})
    fields += [
        (t(lang, "label.namespaces"), str(len(namespaces))),
        (t(lang, "label.apps"), t(lang, "word.healthy_of", healthy=healthy, total=total_apps)),
        (
            t(lang, "label.pods"),
            t(lang, "word.running_of", running=phases.get("Running", 0), total=pod_total),
        ),
    ]
    where = scope_label(lang, scope)
    blocks: list[Block] = [Header(text=t(lang, "title.overview", cluster=gw.cluster)), Fields(items=fields)]
    if attention:
        shown, omitted = cap(attention, 20)
        blocks.append(
            Table(
                title=t(lang, "title.attention"),
                columns=[t(lang, f"col.{c}") for c in ("namespace", "app", "health", "detail")],
                rows=shown,
                omitted=omitted,
            )
        )
    else:
        blocks.append(Text(text=t(lang, "overview.all_good")))
    if nodes is None:
        blocks.append(Context(text=t(lang, "overview.no_nodes")))
    blocks.append(footer(ctx, gw, where))
    unhealthy = health_counts["degraded"] + health_counts["failed"]
    summary = t(
        lang,
        "overview.summary",
        cluster=gw.cluster,
        nodes=len(nodes) if nodes is not None else "?",
        apps=total_apps,
        healthy=healthy,
        pods=pod_total,
        attention=len(attention),
    )
    return Result(
        command="overview",
        status="warning" if unhealthy else "success",
        summary=summary,
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespaces": scope,
            "nodes": None
            if nodes is None
            else {
                "total": len(nodes),
                "ready": sum(1 for n in nodes if n.ready),
                "cpu": sum(n.allocatable.cpu for n in nodes),
                "memory_bytes": sum(n.allocatable.memory for n in nodes),
            },
            "apps": {"total": total_apps, **{h: health_counts.get(h, 0) for h in HEALTH_ICON}},
            "pods": {"total": pod_total, "complete": pods_complete, **dict(phases)},
            "attention": attention_data,
        },
    )


# ---- cost_analysis --------------------------------------------------------------------------


@localise_errors
async def run_cost_analysis(ctx: CommandContext, args: NamespaceArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    scope = list_scope(ctx, args.namespace)
    pods = await list_in(gw, gw.list_pods, scope)
    report = estimate(pods.items)
    prices = report.prices
    multi = scope is None or len(scope) > 1
    money: Callable[[float], str] = lambda v: f"${v:,.2f}"  # noqa: E731
    rows = [
        ([a.namespace] if multi else []) + [a.app, str(a.pods), cores(a.cpu), gib(a.memory), money(a.monthly)]
        for a in report.apps
    ]
    columns = (["namespace"] if multi else []) + ["app", "pods", "cpu", "memory", "monthly"]
    shown, omitted = cap(rows)
    where = scope_label(lang, scope)
    notes = [
        t(
            lang,
            "cost.basis",
            vcpu=prices.vcpu_hour,
            gib=prices.gib_hour,
            hours=f"{prices.hours_per_month:g}",
            source=prices.source,
        )
    ]
    if report.pods_without_requests:
        notes.append(t(lang, "cost.no_requests", count=report.pods_without_requests))
    if not pods.complete:
        notes.append(t(lang, "cost.partial", count=len(pods.items)))
    blocks: list[Block] = [
        Header(text=t(lang, "title.cost", namespace=where)),
        Fields(
            items=[
                (t(lang, "label.monthly_estimate"), money(report.monthly)),
                (t(lang, "label.cpu_requested"), cores(report.cpu)),
                (t(lang, "label.memory_requested"), gib(report.memory)),
                (t(lang, "label.pods"), str(report.pods)),
            ]
        ),
    ]
    if rows:
        blocks.append(Table(columns=[t(lang, f"col.{c}") for c in columns], rows=shown, omitted=omitted))
    blocks += [Context(text=" ".join(notes)), footer(ctx, gw, where)]
    return Result(
        command="cost_analysis",
        status="info",
        summary=t(lang, "cost.summary", namespace=where, monthly=money(report.monthly)),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespaces": scope,
            "estimate": True,
            "currency": prices.currency,
            "monthly": round(report.monthly, 2),
            "cpu_cores": report.cpu,
            "memory_bytes": report.memory,
            "pods": report.pods,
            "pods_without_requests": report.pods_without_requests,
            "prices": {
                "vcpu_hour": prices.vcpu_hour,
                "gib_hour": prices.gib_hour,
                "hours_per_month": prices.hours_per_month,
                "source": prices.source,
            },
            "apps": [
                {
                    "namespace": a.namespace,
                    "app": a.app,
                    "pods": a.pods,
                    "cpu_cores": a.cpu,
                    "memory_bytes": a.memory,
                    "monthly": round(a.monthly, 2),
                    "pods_without_requests": a.pods_without_requests,
                }
                for a in report.apps
            ],
        },
    )


# ---- specs ----------------------------------------------------------------------------------


def _list_spec(name: str, run: Any, en: str, ko: str) -> CommandSpec[Any]:
    return CommandSpec(
        name=name,
        args_model=NamespaceArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run,
        help_en=en,
        help_ko=ko,
        positional=("namespace",),
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="overview",
        args_model=NamespaceArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_overview,
        help_en="The cluster at a glance: nodes, apps, pods, and what needs attention",
        help_ko="클러스터 한눈에 보기: 노드, 앱, 파드, 주의가 필요한 항목",
        positional=("namespace",),
    ),
    _list_spec(
        "list_pods",
        run_list_pods,
        "List pods with readiness, status and restarts",
        "파드 목록(준비 상태, 상태, 재시작 횟수)",
    ),
    _list_spec(
        "list_deployments",
        run_list_deployments,
        "List deployments with replicas and images",
        "디플로이먼트 목록(레플리카, 이미지)",
    ),
    _list_spec(
        "list_services",
        run_list_services,
        "List services with type, IPs and ports",
        "서비스 목록(유형, IP, 포트)",
    ),
    _list_spec(
        "list_ingresses",
        run_list_ingresses,
        "List ingresses with hosts and backends",
        "인그레스 목록(호스트, 백엔드)",
    ),
    _list_spec(
        "list_endpoints",
        run_list_endpoints,
        "List endpoints: which pod addresses back each service",
        "엔드포인트 목록: 서비스별 연결된 파드 주소",
    ),
    CommandSpec(
        name="list_namespaces",
        args_model=NoArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_list_namespaces,
        help_en="List namespaces",
        help_ko="네임스페이스 목록",
    ),
    _list_spec(
        "list_apps",
        run_list_apps,
        "List apps with health, images and addresses",
        "앱 목록(상태, 이미지, 접속 주소)",
    ),
    CommandSpec(
        name="cost_analysis",
        args_model=NamespaceArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_cost_analysis,
        help_en="Estimated monthly cost of what apps request (CPU, memory)",
        help_ko="앱이 요청한 CPU·메모리 기준 월 예상 비용",
        words=("cost", "analysis"),
        positional=("namespace",),
    ),
]
