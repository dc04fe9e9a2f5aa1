"""Read-only commands about one thing: status, logs, endpoint, get_deployment, get_service,
rollout_history."""

from __future__ import annotations

import asyncio
from typing import Any

from klepaas.commands.arg_types import ALL_NAMESPACES, ContainerName, K8sName, LogLines, Namespace, StatusKind
from klepaas.commands.builtin._common import (
    HEALTH_ICON,
    PodIndex,
    age,
    app_health,
    cap,
    command_button,
    cores,
    footer,
    get_app,
    get_app_pods,
    gib,
    localise_errors,
    one_namespace,
)
from klepaas.commands.context import CommandContext
from klepaas.commands.i18n import t
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Actions, Block, Code, Fields, Header, Result, Table, Text
from klepaas.errors import Forbidden, NotFound, UserError
from klepaas.k8s.errors import ResourceNotFound
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.models import (
    Deployment,
    EndpointAddress,
    Event,
    Ingress,
    Node,
    Pod,
    ReplicaSet,
    Service,
    to_jsonable,
)
from klepaas.k8s.rollout import PodProblem, pod_problems
from klepaas.llm.plan import Lang

# ---- arguments ------------------------------------------------------------------------------


class StatusArgs(Args):
    name: K8sName | None = None
    namespace: Namespace | None = None
    kind: StatusKind = "deployment"


class LogsArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    lines: LogLines = 100
    previous: bool = False
    container: ContainerName | None = None


class EndpointArgs(Args):
    name: K8sName | None = None
    namespace: Namespace | None = None


class NameArgs(Args):
    name: K8sName
    namespace: Namespace | None = None


# ---- shared pieces --------------------------------------------------------------------------


def pod_rows(pods: list[Pod]) -> list[list[str]]:
    return [
        [
            p.name,
            "{}/{}".format(*p.ready_count),
            p.display_status,
            str(p.restarts),
            age(p.meta.created),
            p.node or "-",
        ]
        for p in pods
    ]


def pod_columns(lang: Lang) -> list[str]:
    return [t(lang, f"col.{c}") for c in ("pod", "ready", "status", "restarts", "age", "node")]


def problem_lines(lang: Lang, problems: list[PodProblem], app: str) -> str:
    lines = []
    for p in problems[:10]:
        key = f"problem.{p.reason}" if f"problem.{p.reason}" in _PROBLEM_KEYS else "problem.other"
        lines.append(
            "• "
            + t(lang, key, pod=p.pod, container=p.container, reason=p.reason, restarts=p.restarts, app=app)
        )
    return "\n".join(lines)


_PROBLEM_KEYS = {
    "problem.CrashLoopBackOff",
    "problem.OOMKilled",
    "problem.ImagePullBackOff",
    "problem.ErrImagePull",
    "problem.Error",
}


def event_table(lang: Lang, events: list[Event], limit: int = 10) -> Table:
    events = sorted(events, key=lambda e: e.last_seen.timestamp() if e.last_seen else 0, reverse=True)
    shown, omitted = cap(events, limit)
    return Table(
        title=t(lang, "title.events"),
        columns=[t(lang, f"col.{c}") for c in ("type", "reason", "object", "message", "age")],
        rows=[
            [e.type, e.reason, f"{e.involved.kind}/{e.involved.name}", e.message[:200], age(e.last_seen)]
            for e in shown
        ],
        omitted=omitted,
    )


def event_data(events: list[Event]) -> list[dict[str, object]]:
    return [
        {
            "type": e.type,
            "reason": e.reason,
            "object": f"{e.involved.kind}/{e.involved.name}",
            "message": e.message,
            "count": e.count,
            "last_seen": e.last_seen.isoformat() if e.last_seen else None,
        }
        for e in events
    ]


async def related_events(gw: KubeGateway, namespace: str, names: set[str]) -> list[Event]:
    """Warning events about any of `names` (one list call for the namespace's warnings)."""
    try:
        events = await gw.list_events(namespace, field_selector="type=Warning", limit=500)
    except Forbidden:
        return []
    return [e for e in events.items if e.involved.name in names]


def pod_data(p: Pod) -> dict[str, object]:
    ready, total = p.ready_count
    return {
        "name": p.name,
        "ready": f"{ready}/{total}",
        "status": p.display_status,
        "restarts": p.restarts,
        "node": p.node,
        "ip": p.ip,
        "created": p.meta.created.isoformat() if p.meta.created else None,
    }


# ---- status ---------------------------------------------------------------------------------


@localise_errors
async def run_status(ctx: CommandContext, args: StatusArgs) -> Result:
    gw = ctx.gateway()
    if args.name is None:
        if args.namespace == ALL_NAMESPACES:  # every app everywhere: what overview is for
            raise UserError(t(ctx.lang, "err.one_namespace"), hint="overview")
        return await _namespace_status(ctx, gw, one_namespace(ctx, args.namespace))
    if args.namespace == ALL_NAMESPACES and args.kind == "deployment":
        ns = await _namespace_of_app(ctx, gw, args.name)  # "where is it, and how is it?"
    else:
        ns = one_namespace(ctx, args.namespace)
    if args.kind == "pod":
        return await _pod_status(ctx, gw, await gw.get_pod(ns, args.name))
    if args.kind == "service":
        return await _describe_service(ctx, gw, ns, args.name, command="status")
    try:
        deployment, pods = await get_app_pods(ctx, gw, ns, args.name)
    except ResourceNotFound as exc:
        if exc.kind != "deployment":
            raise
        try:  # "status nginx-6d4cf56db6-x2kq9": a pod name is fine too
            pod = await gw.get_pod(ns, args.name)
        except NotFound:
            raise exc from None
        return await _pod_status(ctx, gw, pod)
    return await _app_status(ctx, gw, deployment, pods)


async def _namespace_of_app(ctx: CommandContext, gw: KubeGateway, name: str) -> str:
    """The one namespace (of those this channel may use) holding an app called `name`: one list
    call across namespaces, by name. None or several is said, with what to type next."""
    found = await gw.list_deployments(ALL_NAMESPACES, field_selector=f"metadata.name={name}", limit=50)
    namespaces = sorted({d.namespace for d in found.items})
    if ctx.allowed_namespaces:
        namespaces = [ns for ns in namespaces if ns in ctx.allowed_namespaces]
    if not namespaces:
        raise NotFound(t(ctx.lang, "err.app_in_no_namespace", name=name))
    if len(namespaces) > 1:
        raise UserError(
            t(ctx.lang, "err.app_in_several_namespaces", name=name, namespaces=", ".join(namespaces)),
            hint=f"status {name} -n {namespaces[0]}",
        )
    return namespaces[0]


async def _app_status(ctx: CommandContext, gw: KubeGateway, d: Deployment, pods: list[Pod]) -> Result:
    lang = ctx.lang
    pods = sorted(pods, key=lambda p: (p.ready, p.name))
    health, problems = app_health(d, pods)
    events: list[Event] = []
    if health != "healthy":
        events = await related_events(
            gw, d.namespace, {d.name, *(p.name for p in pods)} | {p.owner.name for p in pods if p.owner}
        )
    s = d.status
    blocks: list[Block] = [
        Header(text=f"{HEALTH_ICON[health]} {d.name}"),
        Fields(
            items=[
                (t(lang, "label.health"), t(lang, f"health.{health}")),
                (t(lang, "label.ready"), f"{s.ready}/{d.replicas}"),
                (t(lang, "label.updated"), str(s.updated)),
                (t(lang, "label.available"), str(s.available)),
                (t(lang, "label.images"), ", ".join(d.images)),
                (t(lang, "label.revision"), str(d.revision or "-")),
                (t(lang, "label.age"), age(d.meta.created)),
            ]
        ),
    ]
    shown, omitted = cap(pods, 20)
    if pods:
        blocks.append(
            Table(
                title=t(lang, "title.app_pods"),
                columns=pod_columns(lang),
                rows=pod_rows(shown),
                omitted=omitted,
            )
        )
    if problems:
        blocks.append(Text(text=problem_lines(lang, problems, d.name)))
    if events:
        blocks.append(event_table(lang, events))
    if health in ("failed", "degraded") and (d.revision or 0) > 1:
        blocks.append(
            Actions(
                buttons=[
                    command_button(
                        t(lang, "button.rollback"),
                        "rollback",
                        {"name": d.name, "namespace": d.namespace},
                        style="danger",
                    )
                ]
            )
        )
    blocks.append(footer(ctx, gw, d.namespace))
    return Result(
        command="status",
        status={"healthy": "success", "stopped": "info", "progressing": "info"}.get(health, "warning"),
        summary=t(
            lang, f"status.{health}", name=d.name, ready=s.ready, desired=d.replicas, problems=len(problems)
        ),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespace": d.namespace,
            "name": d.name,
            "kind": "deployment",
            "health": health,
            "replicas": {
                "desired": d.replicas,
                "updated": s.updated,
                "ready": s.ready,
                "available": s.available,
                "total": s.replicas,
            },
            "images": d.images,
            "revision": d.revision,
            "pods": [pod_data(p) for p in pods],
            "problems": to_jsonable(problems),
            "events": event_data(events),
        },
    )


async def _pod_status(ctx: CommandContext, gw: KubeGateway, pod: Pod) -> Result:
    lang = ctx.lang
    problems = pod_problems([pod])
    events = await related_events(gw, pod.namespace, {pod.name})
    ready, total = pod.ready_count
    blocks: list[Block] = [
        Header(text=f"{'✅' if pod.ready else '⚠️'} {pod.name}"),
        Fields(
            items=[
                (t(lang, "label.status"), pod.display_status),
                (t(lang, "label.ready"), f"{ready}/{total}"),
                (t(lang, "label.restarts"), str(pod.restarts)),
                (t(lang, "label.node"), pod.node or "-"),
                (t(lang, "label.ip"), pod.ip or "-"),
                (t(lang, "label.age"), age(pod.meta.created)),
            ]
        ),
        Table(
            title=t(lang, "title.containers"),
            columns=[t(lang, f"col.{c}") for c in ("container", "image", "ready", "restarts", "state")],
            rows=[
                [
                    s.name,
                    s.image,
                    "✓" if s.ready else "✗",
                    str(s.restart_count),
                    (s.state.reason or s.state.kind) if s.state else "-",
                ]
                for s in pod.container_statuses
            ],
        ),
    ]
    if problems:
        app = pod.owner.name if pod.owner else pod.name
        blocks.append(Text(text=problem_lines(lang, problems, app)))
    if events:
        blocks.append(event_table(lang, events))
    blocks.append(footer(ctx, gw, pod.namespace))
    return Result(
        command="status",
        status="success" if pod.ready or pod.phase == "Succeeded" else "warning",
        summary=t(
            lang,
            "status.pod",
            name=pod.name,
            status=pod.display_status,
            ready=ready,
            total=total,
            restarts=pod.restarts,
        ),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespace": pod.namespace,
            "name": pod.name,
            "kind": "pod",
            "pod": pod_data(pod),
            "problems": to_jsonable(problems),
            "events": event_data(events),
            "containers": to_jsonable(pod.container_statuses),
        },
    )


async def _namespace_status(ctx: CommandContext, gw: KubeGateway, ns: str) -> Result:
    lang = ctx.lang
    deployments, pods = await asyncio.gather(
        gw.list_deployments(ns, limit=2000), gw.list_pods(ns, limit=5000)
    )
    rows, data, counts = [], [], {h: 0 for h in HEALTH_ICON}
    ordered = []
    pods_by_app = PodIndex(pods.items)
    for d in deployments.items:
        health, problems = app_health(d, pods_by_app.of(d))
        counts[health] += 1
        ordered.append((health == "healthy", d.name, d, health, problems))
    ordered.sort(key=lambda x: (x[0], x[1]))
    for _, _, d, health, problems in ordered:
        rows.append(
            [
                f"{HEALTH_ICON[health]} {d.name}",
                f"{d.status.ready}/{d.replicas}",
                t(lang, f"health.{health}"),
                ", ".join(d.images),
                age(d.meta.created),
            ]
        )
        data.append(
            {
                "name": d.name,
                "health": health,
                "ready": d.status.ready,
                "desired": d.replicas,
                "images": d.images,
                "problems": len(problems),
            }
        )
    shown, omitted = cap(rows)
    unhealthy = len(deployments.items) - counts["healthy"] - counts["stopped"]
    blocks: list[Block] = [Header(text=t(lang, "title.namespace_status", namespace=ns))]
    if rows:
        blocks.append(
            Table(
                columns=[t(lang, f"col.{c}") for c in ("app", "ready", "health", "images", "age")],
                rows=shown,
                omitted=omitted,
            )
        )
    else:
        blocks.append(Text(text=t(lang, "empty.apps", namespace=ns)))
    blocks.append(footer(ctx, gw, ns))
    return Result(
        command="status",
        status="warning" if unhealthy else "success",
        summary=t(
            lang,
            "status.namespace",
            namespace=ns,
            total=len(deployments.items),
            healthy=counts["healthy"],
            unhealthy=unhealthy,
        ),
        blocks=blocks,
        data={"cluster": gw.cluster, "namespace": ns, "kind": "namespace", "apps": data, "counts": counts},
    )


# ---- logs -----------------------------------------------------------------------------------


def _pick_pod(pods: list[Pod]) -> Pod | None:
    """The pod whose logs help most: a failing one (most restarts) first, else the newest ready."""
    live = [p for p in pods if not p.meta.deleting] or pods
    failing = [p for p in live if pod_problems([p])]
    if failing:
        return max(failing, key=lambda p: (p.restarts, p.name))
    ready = [p for p in live if p.ready] or live
    if not ready:
        return None
    return max(ready, key=lambda p: (p.meta.created.timestamp() if p.meta.created else 0, p.name))


def _default_container(pod: Pod, app: str | None) -> str | None:
    names = [c.name for c in pod.containers]
    wanted = pod.meta.annotations.get("kubectl.kubernetes.io/default-container")
    for candidate in (wanted, app):
        if candidate and candidate in names:
            return candidate
    return names[0] if names else None


@localise_errors
async def run_logs(ctx: CommandContext, args: LogsArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    app: str | None = None
    others: list[str] = []
    try:
        deployment, app_pods = await get_app_pods(ctx, gw, ns, args.name)
    except ResourceNotFound as exc:
        if exc.kind != "deployment":
            raise
        try:
            pod = await gw.get_pod(ns, args.name)
        except NotFound:
            raise exc from None
    else:
        app = deployment.name
        chosen = _pick_pod(app_pods)
        if chosen is None:
            raise UserError(
                t(lang, "logs.no_pods", name=deployment.name),
                hint=t(lang, "hint.scale_up", name=deployment.name),
            )
        pod = chosen
        others = sorted(p.name for p in app_pods if p.name != pod.name)
    container = args.container or _default_container(pod, app)
    if args.container and args.container not in [c.name for c in pod.containers]:
        raise UserError(
            t(
                lang,
                "logs.no_container",
                container=args.container,
                pod=pod.name,
                containers=", ".join(c.name for c in pod.containers),
            )
        )
    text = await gw.pod_logs(ns, pod.name, container=container, tail_lines=args.lines, previous=args.previous)
    lines = text.splitlines()
    restarts = next((s.restart_count for s in pod.container_statuses if s.name == container), 0)
    title = t(lang, "logs.title", pod=pod.name, container=container or "-", lines=len(lines))
    blocks: list[Block] = [Header(text=title)]
    if lines:
        blocks.append(Code(text="\n".join(lines[-args.lines :]), title=f"{pod.name}/{container}"))
    else:
        blocks.append(Text(text=t(lang, "logs.empty")))
    if restarts and not args.previous:
        blocks.append(Text(text=t(lang, "hint.previous_logs", name=args.name, restarts=restarts)))
    extra = [t(lang, "logs.other_pods", count=len(others))] if others else []
    blocks.append(footer(ctx, gw, ns, *extra))
    summary_key = "logs.summary_previous" if args.previous else "logs.summary"
    return Result(
        command="logs",
        status="success" if lines else "info",
        summary=t(lang, summary_key, pod=pod.name, container=container or "-", lines=len(lines)),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespace": ns,
            "app": app,
            "pod": pod.name,
            "container": container,
            "previous": args.previous,
            "lines": len(lines),
            "text": text,
            "other_pods": others,
            "restarts": restarts,
        },
    )


# ---- endpoint -------------------------------------------------------------------------------


def _node_address(nodes: list[Node]) -> str | None:
    for kind in ("ExternalIP", "InternalIP", "Hostname"):
        for node in nodes:
            if node.ready and node.addresses.get(kind):
                return node.addresses[kind]
    return None


def routes_for(
    services: list[Service], ingresses: list[Ingress], node_ip: str | None
) -> list[dict[str, str]]:
    """How each service can be reached, best first: ingress URLs, load balancers, node ports,
    then the in-cluster DNS name."""
    names = {s.name for s in services}
    routes: list[dict[str, str]] = []
    for ing in ingresses:
        for rule in ing.rules:
            for path in rule.paths:
                if path.service not in names:
                    continue
                scheme = "https" if rule.host and rule.host in ing.tls_hosts else "http"
                host = rule.host or (ing.load_balancer[0] if ing.load_balancer else "<ingress-address>")
                routes.append(
                    {
                        "kind": "ingress",
                        "url": f"{scheme}://{host}{path.path or '/'}",
                        "service": path.service or "",
                        "via": ing.name,
                        "scope": "public",
                    }
                )
        if ing.default_backend and ing.default_backend.service in names and ing.load_balancer:
            routes.append(
                {
                    "kind": "ingress",
                    "url": f"http://{ing.load_balancer[0]}/",
                    "service": ing.default_backend.service or "",
                    "via": ing.name,
                    "scope": "public",
                }
            )
    for svc in services:
        for port in svc.ports:
            if svc.type == "LoadBalancer":
                for address in svc.load_balancer:
                    routes.append(
                        {
                            "kind": "load-balancer",
                            "url": f"http://{address}:{port.port}",
                            "service": svc.name,
                            "via": svc.name,
                            "scope": "public",
                        }
                    )
            for address in svc.external_ips:
                routes.append(
                    {
                        "kind": "external-ip",
                        "url": f"http://{address}:{port.port}",
                        "service": svc.name,
                        "via": svc.name,
                        "scope": "public",
                    }
                )
            if svc.type in ("NodePort", "LoadBalancer") and port.node_port:
                host = node_ip or "<node-ip>"
                routes.append(
                    {
                        "kind": "node-port",
                        "url": f"http://{host}:{port.node_port}",
                        "service": svc.name,
                        "via": svc.name,
                        "scope": "nodes",
                    }
                )
        if svc.type == "ExternalName" and svc.external_name:
            routes.append(
                {
                    "kind": "external-name",
                    "url": svc.external_name,
                    "service": svc.name,
                    "via": svc.name,
                    "scope": "cluster",
                }
            )
        elif svc.cluster_ip and svc.cluster_ip != "None":
            for port in svc.ports:
                routes.append(
                    {
                        "kind": "cluster",
                        "url": f"http://{svc.name}.{svc.namespace}.svc.cluster.local:{port.port}",
                        "service": svc.name,
                        "via": svc.name,
                        "scope": "cluster",
                    }
                )
    return routes


async def _node_ip(gw: KubeGateway, services: list[Service]) -> str | None:
    if not any(s.type in ("NodePort", "LoadBalancer") for s in services):
        return None
    try:
        nodes = await gw.list_nodes(limit=50)
    except Forbidden:
        return None
    return _node_address(nodes.items)


@localise_errors
async def run_endpoint(ctx: CommandContext, args: EndpointArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    services_list, ingresses_list = await asyncio.gather(gw.list_services(ns), gw.list_ingresses(ns))
    services = services_list.items
    subject = args.name or ns
    if args.name:
        try:
            deployment = await get_app(ctx, gw, ns, args.name)
        except ResourceNotFound as exc:
            matched = [s for s in services if s.name == args.name]
            if exc.kind != "deployment" or not matched:
                raise
        else:
            matched = [s for s in services if s.selects(deployment.template.labels)]
        services = matched
    routes = routes_for(services, ingresses_list.items, await _node_ip(gw, services))
    public = [r for r in routes if r["scope"] != "cluster"]
    if not services:
        summary = t(lang, "endpoint.no_service", name=subject)
        status = "warning"
    elif public:
        summary = t(lang, "endpoint.public", name=subject, url=public[0]["url"])
        status = "success"
    else:
        summary = t(lang, "endpoint.internal", name=subject, url=routes[0]["url"] if routes else "-")
        status = "info"
    blocks: list[Block] = [Header(text=t(lang, "endpoint.title", name=subject))]
    if routes:
        shown, omitted = cap(routes)
        blocks.append(
            Table(
                columns=[t(lang, f"col.{c}") for c in ("address", "kind", "service", "scope")],
                rows=[[r["url"], r["kind"], r["service"], t(lang, f"scope.{r['scope']}")] for r in shown],
                omitted=omitted,
            )
        )
    else:
        blocks.append(Text(text=t(lang, "hint.expose", name=subject)))
    blocks.append(footer(ctx, gw, ns))
    return Result(
        command="endpoint",
        status=status,
        summary=summary,
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespace": ns,
            "name": args.name,
            "routes": routes,
            "services": [s.name for s in services],
        },
    )


# ---- get_deployment -------------------------------------------------------------------------


@localise_errors
async def run_get_deployment(ctx: CommandContext, args: NameArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    d, pods = await get_app_pods(ctx, gw, ns, args.name)
    health, problems = app_health(d, pods)
    strategy = d.strategy
    if strategy == "RollingUpdate":
        strategy += f" (maxSurge {d.max_surge or '25%'}, maxUnavailable {d.max_unavailable or '25%'})"
    fields = [
        (t(lang, "label.health"), t(lang, f"health.{health}")),
        (t(lang, "label.replicas"), f"{d.status.ready}/{d.replicas} " + t(lang, "word.ready")),
        (t(lang, "label.updated"), str(d.status.updated)),
        (t(lang, "label.available"), str(d.status.available)),
        (t(lang, "label.strategy"), strategy),
        (t(lang, "label.selector"), d.label_selector or "-"),
        (t(lang, "label.revision"), str(d.revision or "-")),
        (t(lang, "label.age"), age(d.meta.created)),
    ]
    if d.paused:
        fields.append((t(lang, "label.paused"), "✓"))
    if d.change_cause:
        fields.append((t(lang, "label.change_cause"), d.change_cause))
    blocks: list[Block] = [
        Header(text=f"{HEALTH_ICON[health]} deployment/{d.name}"),
        Fields(items=fields),
        Table(
            title=t(lang, "title.containers"),
            columns=[t(lang, f"col.{c}") for c in ("container", "image", "ports", "cpu", "memory")],
            rows=[
                [
                    c.name,
                    c.image,
                    ", ".join(f"{p.port}/{p.protocol}" for p in c.ports) or "-",
                    f"{cores(c.resources.cpu_request)} / {cores(c.resources.cpu_limit)}",
                    f"{gib(c.resources.memory_request)} / {gib(c.resources.memory_limit)}",
                ]
                for c in d.template.containers
            ],
        ),
    ]
    if d.status.conditions:
        blocks.append(
            Table(
                title=t(lang, "title.conditions"),
                columns=[t(lang, f"col.{c}") for c in ("type", "status", "reason", "message")],
                rows=[[c.type, c.status, c.reason, c.message[:200]] for c in d.status.conditions],
            )
        )
    if problems:
        blocks.append(Text(text=problem_lines(lang, problems, d.name)))
    blocks.append(footer(ctx, gw, ns))
    return Result(
        command="get_deployment",
        status="success" if health in ("healthy", "stopped") else "warning",
        summary=t(
            lang,
            "get_deployment.summary",
            name=d.name,
            ready=d.status.ready,
            desired=d.replicas,
            images=", ".join(d.images),
            revision=d.revision or "-",
        ),
        blocks=blocks,
        data={"cluster": gw.cluster, "namespace": ns, "health": health, "deployment": to_jsonable(d)},
    )


# ---- get_service ----------------------------------------------------------------------------


@localise_errors
async def run_get_service(ctx: CommandContext, args: NameArgs) -> Result:
    gw = ctx.gateway()
    return await _describe_service(
        ctx, gw, one_namespace(ctx, args.namespace), args.name, command="get_service"
    )


async def _describe_service(
    ctx: CommandContext, gw: KubeGateway, ns: str, name: str, *, command: str
) -> Result:
    lang = ctx.lang
    svc = await gw.get_service(ns, name)

    async def backends() -> list[EndpointAddress]:
        try:
            return list((await gw.get_endpoints(ns, name)).addresses)
        except NotFound:  # a service without a selector may have no Endpoints object
            return []

    endpoint_addresses, ingresses = await asyncio.gather(backends(), gw.list_ingresses(ns))
    ready = [a for a in endpoint_addresses if a.ready]
    routes = routes_for([svc], ingresses.items, await _node_ip(gw, [svc]))
    external = ", ".join(svc.load_balancer + svc.external_ips) or "-"
    blocks: list[Block] = [
        Header(text=f"service/{svc.name}"),
        Fields(
            items=[
                (t(lang, "label.type"), svc.type),
                (t(lang, "label.cluster_ip"), svc.cluster_ip or "-"),
                (t(lang, "label.external"), external),
                (t(lang, "label.selector"), ",".join(f"{k}={v}" for k, v in svc.selector.items()) or "-"),
                (
                    t(lang, "label.endpoints"),
                    t(lang, "word.ready_of", ready=len(ready), total=len(endpoint_addresses)),
                ),
                (t(lang, "label.age"), age(svc.meta.created)),
            ]
        ),
        Table(
            title=t(lang, "title.ports"),
            columns=[t(lang, f"col.{c}") for c in ("name", "port", "target", "node_port", "protocol")],
            rows=[
                [p.name or "-", str(p.port), p.target_port or "-", str(p.node_port or "-"), p.protocol]
                for p in svc.ports
            ],
        ),
    ]
    if endpoint_addresses:
        shown, omitted = cap(endpoint_addresses, 20)
        blocks.append(
            Table(
                title=t(lang, "title.backends"),
                columns=[t(lang, f"col.{c}") for c in ("pod", "ip", "ready", "node")],
                rows=[[a.pod or "-", a.ip, "✓" if a.ready else "✗", a.node or "-"] for a in shown],
                omitted=omitted,
            )
        )
    public = [r for r in routes if r["scope"] != "cluster"]
    if public:
        blocks.append(Text(text="\n".join(f"• {r['url']}" for r in public[:10])))
    blocks.append(footer(ctx, gw, ns))
    no_backends = bool(svc.selector) and not ready
    return Result(
        command=command,
        status="warning" if no_backends else "success",
        summary=t(
            lang,
            "service.no_backends" if no_backends else "service.summary",
            name=svc.name,
            type=svc.type,
            ready=len(ready),
            total=len(endpoint_addresses),
        ),
        blocks=blocks,
        data={
            "cluster": gw.cluster,
            "namespace": ns,
            "kind": "service",
            "service": to_jsonable(svc),
            "endpoints": to_jsonable(endpoint_addresses),
            "routes": routes,
        },
    )


# ---- rollout_history ------------------------------------------------------------------------


async def revisions(gw: KubeGateway, d: Deployment) -> list[ReplicaSet]:
    """The deployment's ReplicaSets that carry a revision, newest first."""
    sets = await gw.list_replicasets(d.namespace, label_selector=d.label_selector or None)
    owned = [rs for rs in sets.items if rs.owned_by(d) and rs.revision is not None]
    return sorted(owned, key=lambda rs: rs.revision or 0, reverse=True)


@localise_errors
async def run_rollout_history(ctx: CommandContext, args: NameArgs) -> Result:
    lang = ctx.lang
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    d = await get_app(ctx, gw, ns, args.name)
    history = await revisions(gw, d)
    current = d.revision
    rows, data = [], []
    for rs in history:
        marker = " ←" if rs.revision == current else ""
        rows.append(
            [
                f"{rs.revision}{marker}",
                ", ".join(rs.template.images),
                rs.change_cause or "-",
                f"{rs.ready}/{rs.replicas}",
                age(rs.meta.created),
            ]
        )
        data.append(
            {
                "revision": rs.revision,
                "current": rs.revision == current,
                "images": rs.template.images,
                "change_cause": rs.change_cause,
                "replicaset": rs.name,
                "replicas": rs.replicas,
                "ready": rs.ready,
                "created": rs.meta.created.isoformat() if rs.meta.created else None,
            }
        )
    shown, omitted = cap(rows)
    blocks: list[Block] = [Header(text=t(lang, "history.title", name=d.name))]
    if rows:
        blocks.append(
            Table(
                columns=[t(lang, f"col.{c}") for c in ("revision", "images", "change_cause", "pods", "age")],
                rows=shown,
                omitted=omitted,
            )
        )
    else:
        blocks.append(Text(text=t(lang, "history.empty", name=d.name)))
    blocks.append(footer(ctx, gw, ns))
    return Result(
        command="rollout_history",
        status="success",
        summary=t(lang, "history.summary", name=d.name, count=len(history), current=current or "-"),
        blocks=blocks,
        data={"cluster": gw.cluster, "namespace": ns, "name": d.name, "current": current, "revisions": data},
    )


# ---- specs ----------------------------------------------------------------------------------

SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="status",
        args_model=StatusArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_status,
        help_en="Health of an app (deployment), a pod or service, or of every app in a namespace",
        help_ko="앱(디플로이먼트), 파드, 서비스 또는 네임스페이스 전체 앱의 상태",
        positional=("name",),
        finds_namespace=True,
    ),
    CommandSpec(
        name="logs",
        args_model=LogsArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_logs,
        help_en="Latest log lines of an app's pod (the failing one first) or of a named pod",
        help_ko="앱 파드(문제 있는 파드 우선) 또는 지정한 파드의 최근 로그",
        positional=("name", "lines"),
    ),
    CommandSpec(
        name="endpoint",
        args_model=EndpointArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_endpoint,
        help_en="Where an app can be reached: ingress URLs, load balancers, node ports, cluster DNS",
        help_ko="앱 접속 주소: 인그레스 URL, 로드밸런서, 노드포트, 클러스터 내부 주소",
        positional=("name",),
    ),
    CommandSpec(
        name="get_deployment",
        args_model=NameArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_get_deployment,
        help_en="Details of a deployment: replicas, strategy, containers, resources, conditions",
        help_ko="디플로이먼트 상세: 레플리카, 배포 전략, 컨테이너, 리소스, 상태 조건",
        words=("get", "deployment"),
        positional=("name",),
    ),
    CommandSpec(
        name="get_service",
        args_model=NameArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_get_service,
        help_en="Details of a service: type, ports, backing pods, addresses",
        help_ko="서비스 상세: 유형, 포트, 연결된 파드, 접속 주소",
        words=("get", "service"),
        positional=("name",),
    ),
    CommandSpec(
        name="rollout_history",
        args_model=NameArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_rollout_history,
        help_en="Revisions of an app: images, change causes, which one is live",
        help_ko="앱의 배포 이력: 리비전별 이미지, 변경 사유, 현재 리비전",
        words=("rollout", "history"),
        positional=("name",),
    ),
]
