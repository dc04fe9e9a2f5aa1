"""Helpers shared by the built-in commands: namespaces, lookups, formatting, localised errors."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from klepaas.commands.arg_types import ALL_NAMESPACES
from klepaas.commands.context import CommandContext
from klepaas.commands.i18n import t
from klepaas.commands.localise import localised_not_found
from klepaas.commands.registry import Args
from klepaas.commands.result import Button, Context, Result
from klepaas.errors import Forbidden, NotFound, UserError
from klepaas.k8s.errors import ResourceNotFound
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.models import Deployment, Pod, ResourceList
from klepaas.k8s.rollout import PodProblem, rollout_state
from klepaas.llm.plan import Lang

T = TypeVar("T")
D = TypeVar("D")
A = TypeVar("A", bound=Args)


class _Namespaced(Protocol):
    @property
    def namespace(self) -> str: ...


N = TypeVar("N", bound=_Namespaced)

# Rows shown per table; the rest are counted as "and N more".
ROW_LIMIT = 50
# Items fetched for one list command (in pages); beyond this the count comes from the server.
FETCH_LIMIT = 5000
DEFAULT_NAMESPACE = "default"


# ---- namespaces -----------------------------------------------------------------------------


def one_namespace(ctx: CommandContext, namespace: str | None) -> str:
    """The namespace a command about one object works in: the argument, else the channel's, else
    `default`. All namespaces is refused; a namespace outside the channel's binding is Forbidden."""
    if namespace == ALL_NAMESPACES:
        raise UserError(t(ctx.lang, "err.one_namespace"))
    ns = namespace or (ctx.allowed_namespaces[0] if ctx.allowed_namespaces else DEFAULT_NAMESPACE)
    check_allowed(ctx, ns)
    return ns


def check_allowed(ctx: CommandContext, namespace: str) -> None:
    if ctx.allowed_namespaces and namespace not in ctx.allowed_namespaces:
        raise Forbidden(
            t(
                ctx.lang,
                "err.namespace_not_allowed",
                namespace=namespace,
                allowed=", ".join(ctx.allowed_namespaces),
            )
        )


def list_scope(ctx: CommandContext, namespace: str | None) -> list[str] | None:
    """Namespaces a list command covers: None means every namespace of the cluster. "*" in a
    channel bound to namespaces means those namespaces."""
    if namespace == ALL_NAMESPACES:
        return list(ctx.allowed_namespaces) or None
    return [one_namespace(ctx, namespace)]


async def list_in(
    gw: KubeGateway,
    fetch: Callable[..., Awaitable[ResourceList[T]]],
    scope: list[str] | None,
    *,
    check_namespaces: bool = True,
    **kwargs: Any,
) -> ResourceList[T]:
    """One list call per namespace in `scope` (concurrently), or one for the whole cluster.

    The API answers a list in a namespace that does not exist with an empty list; so does this,
    unless the namespace is missing: then it is a not-found naming the namespace ("did you mean
    staging?"), as for a get. That costs one more call, and only when a namespace's list is empty
    (`check_namespaces=False`: never, for lists that are often empty, such as failing pods).
    """
    if scope is None:
        return await fetch(None, limit=FETCH_LIMIT, **kwargs)
    if len(scope) == 1:
        listed = await fetch(scope[0], limit=FETCH_LIMIT, **kwargs)
        if check_namespaces and not listed.items:
            await _namespace_exists(gw, scope[0])
        return listed
    parts = await asyncio.gather(*(fetch(ns, limit=FETCH_LIMIT, **kwargs) for ns in scope))
    if check_namespaces:
        await asyncio.gather(
            *(_namespace_exists(gw, ns) for ns, part in zip(scope, parts, strict=True) if not part.items)
        )
    items = [item for part in parts for item in part.items]
    remaining: int | None = 0
    for part in parts:
        remaining = None if remaining is None or part.remaining is None else remaining + part.remaining
    return ResourceList(items, "", remaining)


async def _namespace_exists(gw: KubeGateway, namespace: str) -> None:
    """Raise the gateway's not-found (with suggestions) when `namespace` does not exist."""
    try:
        await gw.get_namespace(namespace)
    except Forbidden:  # may not read namespaces: an empty list is all there is to say
        return


def scope_label(lang: Lang, scope: list[str] | None) -> str:
    return t(lang, "word.all_namespaces") if scope is None else ", ".join(scope)


# ---- lookups --------------------------------------------------------------------------------


async def get_app(ctx: CommandContext, gw: KubeGateway, namespace: str, name: str) -> Deployment:
    """A deployment by name; when missing, the error says where else that name exists."""
    try:
        return await gw.get_deployment(namespace, name)
    except ResourceNotFound as exc:
        if exc.kind == "deployment" and not exc.suggestions:
            await _add_elsewhere_hint(ctx, gw, exc, namespace, name)
        raise


async def get_app_pods(
    ctx: CommandContext, gw: KubeGateway, namespace: str, name: str
) -> tuple[Deployment, list[Pod]]:
    """A deployment by name and its pods (`KubeGateway.get_deployment_pods`); when missing, the
    error says where else that name exists."""
    try:
        deployment, pods = await gw.get_deployment_pods(namespace, name)
    except ResourceNotFound as exc:
        if exc.kind == "deployment" and not exc.suggestions:
            await _add_elsewhere_hint(ctx, gw, exc, namespace, name)
        raise
    return deployment, pods.items


async def read_alongside_dry_run(read: Awaitable[T], dry_run: Awaitable[D]) -> tuple[T, D]:
    """A read and a dry run that does not need its answer, sent together: a dry run changes
    nothing, so the preview costs one round trip instead of two. When the read fails, its error
    is the one raised (the dry run's own answer no longer matters)."""
    read_task, dry_task = asyncio.ensure_future(read), asyncio.ensure_future(dry_run)
    try:
        answer = await read_task
    except BaseException:
        dry_task.cancel()
        await asyncio.wait([dry_task])  # ended before the error goes on; a cancellation of ours still does
        if not dry_task.cancelled():
            dry_task.exception()  # taken: not reported as never retrieved
        raise
    return answer, await dry_task


async def _add_elsewhere_hint(
    ctx: CommandContext, gw: KubeGateway, exc: ResourceNotFound, namespace: str, name: str
) -> None:
    try:
        found = await gw.list_deployments(None, field_selector=f"metadata.name={name}", limit=20)
    except (Forbidden, NotFound):
        return
    others = sorted({d.namespace for d in found.items if d.namespace != namespace})
    if ctx.allowed_namespaces:
        others = [ns for ns in others if ns in ctx.allowed_namespaces]
    if others:
        exc.hint = t(ctx.lang, "hint.found_in_namespaces", namespaces=", ".join(others))


class PodIndex:
    """Pods by namespace and label, so that finding each app's pods is a lookup rather than a scan
    of every pod: 2,000 apps over 20,000 pods would be 40 million label comparisons."""

    def __init__(self, pods: Iterable[Pod]) -> None:
        self._by_label: dict[tuple[str, str, str], list[Pod]] = {}
        for pod in pods:
            namespace = pod.namespace
            for key, value in pod.meta.labels.items():
                self._by_label.setdefault((namespace, key, value), []).append(pod)

    def of(self, deployment: Deployment) -> list[Pod]:
        """What `pods_of(deployment, pods)` gives, in the same order."""
        selector = deployment.selector
        if not selector:
            return []
        (key, value), *rest = selector.items()
        candidates = self._by_label.get((deployment.namespace, key, value), [])
        return [p for p in candidates if all(p.meta.labels.get(k) == v for k, v in rest)]


def by_namespace(objects: Iterable[N]) -> dict[str, list[N]]:
    """Objects grouped by namespace, in their order."""
    grouped: dict[str, list[N]] = {}
    for obj in objects:
        grouped.setdefault(obj.namespace, []).append(obj)
    return grouped


def pods_of(deployment: Deployment, pods: Iterable[Pod]) -> list[Pod]:
    """Pods the deployment's selector matches (matchLabels), in the same namespace."""
    selector = deployment.selector
    if not selector:
        return []
    return [
        p
        for p in pods
        if p.namespace == deployment.namespace and all(p.meta.labels.get(k) == v for k, v in selector.items())
    ]


# ---- health ---------------------------------------------------------------------------------

HEALTH_ICON = {
    "healthy": "✅",
    "progressing": "🔄",
    "degraded": "⚠️",
    "failed": "❌",
    "stopped": "⏸️",
}


def app_health(deployment: Deployment, pods: list[Pod]) -> tuple[str, list[PodProblem]]:
    """healthy | progressing | degraded | failed | stopped, and the failing pods behind it."""
    # Pods of every revision stand in for "the new revision's": while a rollout is under way the
    # failing ones are almost always the new ones (the old ones were serving before it began).
    done, failed, _message, problems = rollout_state(deployment, pods)
    if deployment.replicas == 0 and deployment.status.replicas == 0:
        return "stopped", problems
    if failed:
        return "failed", problems
    if problems:
        return "degraded", problems
    if not done:
        return "progressing", problems
    if deployment.status.available < deployment.replicas:
        return "degraded", problems
    return "healthy", problems


# ---- formatting -----------------------------------------------------------------------------


def age(when: datetime | None, now: datetime | None = None) -> str:
    """kubectl-style age: 45s, 12m, 5h, 3d."""
    if when is None:
        return "-"
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 2 * 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def cores(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f}m" if value < 1 else f"{value:g}"


def gib(value: int | None) -> str:
    if value is None:
        return "-"
    mib = value / 2**20
    return f"{mib:.0f}Mi" if mib < 1024 else f"{mib / 1024:.1f}Gi"


def cap(rows: Sequence[T], limit: int = ROW_LIMIT) -> tuple[list[T], int]:
    rows = list(rows)
    return rows[:limit], max(0, len(rows) - limit)


def footer(ctx: CommandContext, gw: KubeGateway, namespace: str | None = None, *extra: str) -> Context:
    parts = [t(ctx.lang, "word.cluster") + f" `{gw.cluster}`"]
    if namespace:
        parts.append(t(ctx.lang, "word.namespace") + f" `{namespace}`")
    parts.extend(extra)
    return Context(text=" · ".join(parts))


def actor_label(ctx: CommandContext) -> str:
    return ctx.actor.name or ctx.actor.id


def change_cause(ctx: CommandContext, action: str) -> str:
    """The `kubernetes.io/change-cause` we record (English: it lives in the cluster)."""
    return f"{action} via klepaas by {actor_label(ctx)} ({ctx.actor.source})"


def command_button(label: str, command: str, args: dict[str, Any], *, style: Any = None) -> Button:
    """A button whose value asks the front door to run `command` with `args` (through policy)."""
    return Button(
        label=label, action_id=command, value=json.dumps({"command": command, "args": args}), style=style
    )


def rollout_data(gw: KubeGateway, namespace: str, name: str) -> dict[str, str]:
    return {"cluster": gw.cluster, "namespace": namespace, "name": name}


# ---- localised errors -----------------------------------------------------------------------


def localise_errors(
    fn: Callable[[CommandContext, A], Awaitable[Result]],
) -> Callable[[CommandContext, A], Awaitable[Result]]:
    """Re-word a not-found error in the user's language (the gateway speaks English). Every other
    error is re-worded where the pipeline turns it into a Result (`klepaas.commands.failures`)."""

    @functools.wraps(fn)
    async def wrapper(ctx: CommandContext, args: A) -> Result:
        try:
            return await fn(ctx, args)
        except ResourceNotFound as exc:
            if ctx.lang == "en":
                raise
            raise localised_not_found(exc, ctx.lang) from exc

    return wrapper
