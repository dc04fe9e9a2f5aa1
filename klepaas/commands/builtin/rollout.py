"""Commands that change what runs: restart, scale (write), rollback, deploy (dangerous).

Each has a `preview`: the same change sent as a server-side dry run (`dryRun=All`), so the API
server validates it and admission runs, and the approver sees what would change (replicas 2 → 5,
image old → new, which revision's template comes back) before anything does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import model_validator

from klepaas.commands.arg_types import (
    CommitSha,
    ContainerName,
    GitRef,
    ImageRef,
    K8sName,
    Namespace,
    Port,
    Replicas,
    RepoName,
    Revision,
    StepsBack,
    app_name_from_repo,
    image_repository,
    image_tag,
    is_commit,
    tag_for_ref,
)
from klepaas.commands.builtin._common import (
    change_cause,
    footer,
    get_app,
    localise_errors,
    one_namespace,
    read_alongside_dry_run,
    rollout_data,
)
from klepaas.commands.builtin.inspect import revisions
from klepaas.commands.builtin.live_at import LiveAt, LiveAtUnknown, live_at, timeline
from klepaas.commands.context import CommandContext
from klepaas.commands.deployments import deployment_state
from klepaas.commands.failures import localized
from klepaas.commands.i18n import t
from klepaas.commands.moments import Moment
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Block, Fields, Header, Result, Text
from klepaas.errors import Conflict, Invalid, NotFound, UserError
from klepaas.k8s.errors import ResourceNotFound
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.models import (
    CHANGE_CAUSE_ANNOTATION,
    RESTARTED_AT_ANNOTATION,
    Deployment,
    ReplicaSet,
    Scale,
)
from klepaas.llm.plan import Lang
from klepaas.storage.policy_store import DeploymentEntry, DeploymentLog

REPO_ANNOTATION = "klepaas.io/repo"
_LOG_ROWS = 500  # the app's newest deployment-log rows read to date its revisions
REF_ANNOTATION = "klepaas.io/ref"
COMMIT_ANNOTATION = "klepaas.io/commit"
APP_LABEL = "app.kubernetes.io/name"


class NameArgs(Args):
    name: K8sName
    namespace: Namespace | None = None


class ScaleArgs(Args):
    name: K8sName
    replicas: Replicas
    namespace: Namespace | None = None


class RollbackArgs(Args):
    name: K8sName
    namespace: Namespace | None = None
    revision: Revision | None = None
    steps_back: StepsBack | None = None
    commit: CommitSha | None = None
    at: Moment | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RollbackArgs:
        given = [n for n in ("revision", "steps_back", "commit", "at") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of revision, steps_back, commit, at (got {', '.join(given)})")
        return self


class DeployArgs(Args):
    name: K8sName | None = None
    namespace: Namespace | None = None
    image: ImageRef | None = None
    repo: RepoName | None = None
    ref: GitRef | None = None
    container: ContainerName | None = None
    port: Port | None = None

    @model_validator(mode="after")
    def _what_to_deploy(self) -> DeployArgs:
        if self.image is None and self.ref is None:
            raise ValueError("give an image (e.g. nginx:1.27), or a repo and ref")
        if self.image is not None and self.ref is not None:
            raise ValueError("give either an image or a ref, not both")
        if self.name is None and self.repo is None:
            raise ValueError("name the app to deploy")
        return self


def _rollout_fields(ctx: CommandContext, d: Deployment) -> tuple[str, str]:
    lang = ctx.lang
    if d.strategy == "Recreate":
        return t(lang, "label.strategy"), t(lang, "strategy.recreate")
    return t(lang, "label.strategy"), t(
        lang, "strategy.rolling", surge=d.max_surge or "25%", unavailable=d.max_unavailable or "25%"
    )


# ---- restart --------------------------------------------------------------------------------


async def _restart(
    ctx: CommandContext, args: NameArgs, dry_run: bool
) -> tuple[KubeGateway, Deployment, Deployment]:
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {
        "metadata": {"annotations": {CHANGE_CAUSE_ANNOTATION: change_cause(ctx, "restart")}},
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: now}}}},
    }
    seen_as = ("deployment", gw.cluster, ns, args.name)
    if dry_run:  # a dry run changes nothing: it goes out alongside the read
        before, after = await read_alongside_dry_run(
            get_app(ctx, gw, ns, args.name), gw.patch_deployment(ns, args.name, patch, dry_run=True)
        )
        ctx.observed.keep(seen_as, before)
    else:
        # The read decides whether to change anything (not a paused deployment). The preview's,
        # if this request made one, decides without another read, as long as nothing changed since.
        seen = ctx.observed.take(seen_as, Deployment)
        if seen is not None and not seen.paused:
            try:
                version = seen.meta.resource_version
                return gw, seen, await gw.patch_deployment(ns, seen.name, patch, resource_version=version)
            except Conflict:
                pass  # changed since the preview: read it again
        before = await get_app(ctx, gw, ns, args.name)
    if before.paused:
        raise Conflict(t(ctx.lang, "restart.paused", name=before.name))
    if not dry_run:
        after = await gw.patch_deployment(ns, before.name, patch)
    return gw, before, after


@localise_errors
async def run_restart(ctx: CommandContext, args: NameArgs) -> Result:
    gw, before, _after = await _restart(ctx, args, dry_run=False)
    lang = ctx.lang
    key = "restart.done_zero" if before.replicas == 0 else "restart.done"
    return Result(
        command="restart",
        summary=t(lang, key, name=before.name, replicas=before.replicas),
        blocks=[
            Text(text=t(lang, key, name=before.name, replicas=before.replicas)),
            Fields(items=[_rollout_fields(ctx, before)]),
            footer(ctx, gw, before.namespace),
        ],
        data={
            "cluster": gw.cluster,
            "namespace": before.namespace,
            "name": before.name,
            "replicas": before.replicas,
            "revision_before": before.revision,
            "rollout": rollout_data(gw, before.namespace, before.name),
        },
    )


@localise_errors
async def preview_restart(ctx: CommandContext, args: NameArgs) -> Result:
    gw, before, after = await _restart(ctx, args, dry_run=True)
    lang = ctx.lang
    summary = t(lang, "restart.preview", name=before.name, replicas=before.replicas)
    return Result(
        command="restart",
        status="info",
        summary=summary,
        blocks=[
            Header(text=t(lang, "preview.title")),
            Text(text=summary),
            Fields(
                items=[
                    (t(lang, "label.pods_replaced"), str(before.replicas)),
                    _rollout_fields(ctx, before),
                    (t(lang, "label.images"), ", ".join(after.images)),
                ]
            ),
            footer(ctx, gw, before.namespace, t(lang, "word.dry_run")),
        ],
        data={
            "dry_run": True,
            "cluster": gw.cluster,
            "namespace": before.namespace,
            "name": before.name,
            "replicas": before.replicas,
            "images": after.images,
        },
    )


# ---- scale ----------------------------------------------------------------------------------


def _check_replicas(ctx: CommandContext, replicas: int) -> None:
    limit = ctx.settings.kube.max_replicas
    if replicas > limit:
        raise Invalid(
            t(ctx.lang, "scale.too_many", replicas=replicas, limit=limit),
            hint=t(ctx.lang, "hint.max_replicas"),
        )


@localise_errors
async def run_scale(ctx: CommandContext, args: ScaleArgs) -> Result:
    lang = ctx.lang
    _check_replicas(ctx, args.replicas)
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    seen_as = ("scale", gw.cluster, ns, args.name)
    # The preview's read, if this request made one and it asks for a change: sent without reading
    # again, applied only if the scale is still as previewed (else Conflict: read it afresh).
    seen = ctx.observed.take(seen_as, Scale)
    if seen is not None and seen.replicas != args.replicas:
        try:
            after = await gw.patch_scale(ns, args.name, args.replicas, resource_version=seen.resource_version)
            return _scaled(ctx, gw, ns, args, seen, after)
        except Conflict:
            pass
    current = await gw.read_scale(ns, args.name)
    data: dict[str, Any] = {
        "cluster": gw.cluster,
        "namespace": ns,
        "name": args.name,
        "from": current.replicas,
        "to": args.replicas,
    }
    if current.replicas == args.replicas:
        summary = t(lang, "scale.unchanged", name=args.name, replicas=args.replicas)
        return Result(
            command="scale",
            status="info",
            summary=summary,
            blocks=[Text(text=summary), footer(ctx, gw, ns)],
            data={**data, "changed": False},
        )
    after = await gw.patch_scale(ns, args.name, args.replicas)
    return _scaled(ctx, gw, ns, args, current, after)


def _scaled(
    ctx: CommandContext, gw: KubeGateway, ns: str, args: ScaleArgs, before: Scale, after: Scale
) -> Result:
    summary = t(ctx.lang, "scale.done", name=args.name, before=before.replicas, after=after.replicas)
    return Result(
        command="scale",
        summary=summary,
        blocks=[Text(text=summary), footer(ctx, gw, ns)],
        data={
            "cluster": gw.cluster,
            "namespace": ns,
            "name": args.name,
            "from": before.replicas,
            "to": args.replicas,
            "changed": True,
            "rollout": rollout_data(gw, ns, args.name),
        },
    )


@localise_errors
async def preview_scale(ctx: CommandContext, args: ScaleArgs) -> Result:
    lang = ctx.lang
    _check_replicas(ctx, args.replicas)
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    current, after = await read_alongside_dry_run(
        gw.read_scale(ns, args.name), gw.patch_scale(ns, args.name, args.replicas, dry_run=True)
    )
    ctx.observed.keep(("scale", gw.cluster, ns, args.name), current)
    summary = t(lang, "scale.preview", name=args.name, before=current.replicas, after=after.replicas)
    return Result(
        command="scale",
        status="info",
        summary=summary,
        blocks=[
            Header(text=t(lang, "preview.title")),
            Text(text=summary),
            Fields(items=[(t(lang, "label.replicas"), f"{current.replicas} → {after.replicas}")]),
            footer(ctx, gw, ns, t(lang, "word.dry_run")),
        ],
        data={
            "dry_run": True,
            "cluster": gw.cluster,
            "namespace": ns,
            "name": args.name,
            "from": current.replicas,
            "to": after.replicas,
        },
    )


# ---- rollback -------------------------------------------------------------------------------


def _matches_commit(rs: ReplicaSet, commit: str) -> bool:
    if any(
        a.get(COMMIT_ANNOTATION, "").startswith(commit)
        for a in (rs.template.annotations, rs.meta.annotations)
    ):
        return True
    return any(commit in (image_tag(image) or "") for image in rs.template.images)


def pick_revision(
    ctx: CommandContext, d: Deployment, history: list[ReplicaSet], args: RollbackArgs
) -> ReplicaSet:
    """The ReplicaSet whose template the rollback restores (`history` is newest first)."""
    lang = ctx.lang
    current = d.revision if d.revision is not None else (history[0].revision if history else None)
    known = ", ".join(str(rs.revision) for rs in history) or "-"
    if args.revision is not None:
        target = next((rs for rs in history if rs.revision == args.revision), None)
        if target is None:
            raise NotFound(
                t(lang, "rollback.no_such_revision", name=d.name, revision=args.revision),
                hint=t(lang, "hint.known_revisions", revisions=known),
            )
        if target.revision == current:
            raise UserError(t(lang, "rollback.already_current", name=d.name, revision=current))
        return target
    if args.commit is not None:
        commit = args.commit
        found = [rs for rs in history if _matches_commit(rs, commit)]
        older = [rs for rs in found if rs.revision != current]
        if not found:
            raise NotFound(
                t(lang, "rollback.no_commit", name=d.name, commit=commit),
                hint=t(lang, "hint.known_revisions", revisions=known),
            )
        if not older:
            raise UserError(t(lang, "rollback.commit_current", name=d.name, commit=commit))
        return older[0]
    steps = args.steps_back or 1
    older = [rs for rs in history if current is None or (rs.revision or 0) < current]
    if len(older) < steps:
        raise UserError(
            t(lang, "rollback.not_enough", name=d.name, steps=steps, available=len(older)),
            hint=t(lang, "hint.known_revisions", revisions=known),
        )
    return older[steps - 1]


@dataclass
class _RollbackPlan:
    gw: KubeGateway
    before: Deployment
    target: ReplicaSet
    after: Deployment | None = None
    moment: datetime | None = None  # rollback --at: the moment, and what was live then
    live: LiveAt | None = None


async def _deployment_log(ctx: CommandContext, cluster: str, d: Deployment) -> list[DeploymentEntry]:
    """klepaas's own record of the app's changes (newest first), or [] without a database."""
    if ctx.storage is None:
        return []
    log = DeploymentLog(ctx.storage.engine)
    rows = await asyncio.to_thread(lambda: log.recent(_LOG_ROWS, app=d.name, namespace=d.namespace))
    return [row for row in rows if row.cluster in (None, cluster)]


async def pick_by_time(
    ctx: CommandContext, gw: KubeGateway, d: Deployment, history: list[ReplicaSet], moment: datetime
) -> LiveAt:
    """The revision live at `moment` (see live_at.py), refused when nothing tells reliably."""
    lang = ctx.lang
    events = timeline(d, history, await _deployment_log(ctx, gw.cluster, d))
    try:
        live = live_at(moment, d, events)
    except LiveAtUnknown as exc:
        hint = localized(
            lang,
            f"see `rollout_history {d.name}` and roll back to a revision by number",
            f"`rollout_history {d.name}`로 리비전을 확인하고 번호로 롤백하세요",
        )
        raise UserError(localized(lang, exc.en, exc.ko), hint=hint) from None
    current = next((rs for rs in history if rs.revision == d.revision), None)
    if live.event.rs.name == (current.name if current else None):
        raise UserError(
            localized(
                lang,
                f"{d.name} already runs what was live at {_stamp(moment)} "
                f"(revision {d.revision}, {', '.join(d.images)}): nothing to roll back.",
                f"{d.name}은(는) 이미 {_stamp(moment)}에 실행 중이던 버전입니다 "
                f"(리비전 {d.revision}, {', '.join(d.images)}): 롤백할 것이 없습니다.",
            )
        )
    return live


async def _rollback(ctx: CommandContext, args: RollbackArgs, dry_run: bool) -> _RollbackPlan:
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    before = await get_app(ctx, gw, ns, args.name)
    if before.paused:
        raise Conflict(t(ctx.lang, "rollback.paused", name=before.name))
    history = await revisions(gw, before)
    live = None
    if args.at is not None:
        live = await pick_by_time(ctx, gw, before, history, args.at)
        target = live.event.rs
    else:
        target = pick_revision(ctx, before, history, args)
    cause = change_cause(ctx, f"rollback to revision {target.revision}")
    after = await gw.rollback_deployment(
        ns, before.name, to_replicaset=target.name, change_cause=cause, dry_run=dry_run
    )
    return _RollbackPlan(gw, before, target, after, args.at, live)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _evidence(lang: Lang, plan: _RollbackPlan) -> str:
    """Why this revision: what was live at the moment, since when, and what says so."""
    assert plan.live is not None and plan.moment is not None
    event, replaced = plan.live.event, plan.live.replaced
    since = _stamp(event.latest or event.earliest) if event.dated else "-"  # type: ignore[arg-type]
    entry = event.entry
    if entry is not None:
        source = localized(
            lang,
            f"klepaas deployment log: {entry.command} at {_stamp(entry.at)} by {entry.actor_id}",
            f"klepaas 배포 이력: {_stamp(entry.at)} {entry.actor_id}의 {entry.command}",
        )
    else:
        source = localized(
            lang,
            f"ReplicaSet {event.rs.name} created {since}",
            f"ReplicaSet {event.rs.name} 생성 시각 {since}",
        )
    until = ""
    if replaced is not None and replaced.earliest is not None:
        until = localized(
            lang,
            f"; replaced by revision {replaced.number} at {_stamp(replaced.earliest)}",
            f"; {_stamp(replaced.earliest)}에 리비전 {replaced.number}(으)로 바뀜",
        )
    return localized(
        lang,
        f"live at {_stamp(plan.moment)}: revision {event.number} ({', '.join(event.rs.template.images)}), "
        f"current since {since} ({source}){until}",
        f"{_stamp(plan.moment)}에 실행 중: 리비전 {event.number} ({', '.join(event.rs.template.images)}), "
        f"{since}부터 ({source}){until}",
    )


def _rollback_data(plan: _RollbackPlan) -> dict[str, Any]:
    b, target = plan.before, plan.target
    data: dict[str, Any] = {
        "cluster": plan.gw.cluster,
        "namespace": b.namespace,
        "name": b.name,
        "from_revision": b.revision,
        "to_revision": target.revision,
        "from_images": b.images,
        "to_images": target.template.images,
        "replicaset": target.name,
    }
    if plan.live is not None and plan.moment is not None:
        event, replaced = plan.live.event, plan.live.replaced
        data["at"] = {
            "moment": plan.moment.isoformat(),
            "revision_then": event.number,
            "live_since": event.latest.isoformat() if event.latest else None,
            "evidence": "deployment_log" if event.entry is not None else "replicaset",
            "log_id": event.entry.id if event.entry is not None else None,
            "replaced_at": replaced.earliest.isoformat() if replaced and replaced.earliest else None,
        }
    return data


@localise_errors
async def run_rollback(ctx: CommandContext, args: RollbackArgs) -> Result:
    plan = await _rollback(ctx, args, dry_run=False)
    lang, b, target = ctx.lang, plan.before, plan.target
    summary = t(
        lang,
        "rollback.done",
        name=b.name,
        before=b.revision or "-",
        after=target.revision,
        images=", ".join(target.template.images),
    )
    return Result(
        command="rollback",
        summary=summary,
        blocks=[
            Text(text=summary),
            Fields(
                items=[
                    (t(lang, "label.images"), f"{', '.join(b.images)} → {', '.join(target.template.images)}"),
                    *_moment_field(lang, plan),
                ]
            ),
            footer(ctx, plan.gw, b.namespace),
        ],
        data={**_rollback_data(plan), "rollout": rollout_data(plan.gw, b.namespace, b.name)},
    )


@localise_errors
async def preview_rollback(ctx: CommandContext, args: RollbackArgs) -> Result:
    plan = await _rollback(ctx, args, dry_run=True)
    lang, b, target = ctx.lang, plan.before, plan.target
    summary = t(lang, "rollback.preview", name=b.name, before=b.revision or "-", after=target.revision)
    return Result(
        command="rollback",
        status="info",
        summary=summary,
        blocks=[
            Header(text=t(lang, "preview.title")),
            Text(text=summary),
            Fields(
                items=[
                    (t(lang, "label.revision"), f"{b.revision or '-'} → {target.revision}"),
                    (t(lang, "label.images"), f"{', '.join(b.images)} → {', '.join(target.template.images)}"),
                    (t(lang, "label.pods_replaced"), str(b.replicas)),
                    (t(lang, "label.change_cause"), target.change_cause or "-"),
                    *_moment_field(lang, plan),
                ]
            ),
            footer(ctx, plan.gw, b.namespace, t(lang, "word.dry_run")),
        ],
        data={**_rollback_data(plan), "dry_run": True},
    )


def _moment_field(lang: Lang, plan: _RollbackPlan) -> list[tuple[str, str]]:
    if plan.live is None:
        return []
    return [(localized(lang, "Chosen by time", "시각으로 선택"), _evidence(lang, plan))]


# ---- deploy ---------------------------------------------------------------------------------


@dataclass
class _DeployPlan:
    gw: KubeGateway
    namespace: str
    name: str
    image: str
    existing: Deployment | None
    container: str
    old_image: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # kinds a new app gets

    @property
    def unchanged(self) -> bool:
        if self.existing is None or self.old_image != self.image:
            return False
        current = self.existing.template.annotations
        return all(current.get(k) == v for k, v in self.annotations.items())


async def _find_by_repo(gw: KubeGateway, ns: str, repo: str) -> str | None:
    listed = await gw.list_deployments(ns, limit=2000)
    named = [
        d.name
        for d in listed.items
        if d.template.annotations.get(REPO_ANNOTATION) == repo
        or d.meta.annotations.get(REPO_ANNOTATION) == repo
    ]
    return named[0] if len(named) == 1 else None


async def _plan_deploy(ctx: CommandContext, args: DeployArgs) -> _DeployPlan:
    lang = ctx.lang
    gw = ctx.gateway()
    ns = one_namespace(ctx, args.namespace)
    name = args.name
    if name is None and args.repo:
        name = await _find_by_repo(gw, ns, args.repo) or app_name_from_repo(args.repo)
    assert name is not None
    try:
        existing: Deployment | None = await gw.get_deployment(ns, name)
    except ResourceNotFound as exc:
        if exc.kind != "deployment":
            raise
        existing = None
    annotations: dict[str, str] = {}
    if args.repo:
        annotations[REPO_ANNOTATION] = args.repo
    if args.ref:
        annotations[REF_ANNOTATION] = args.ref
        if is_commit(args.ref):
            annotations[COMMIT_ANNOTATION] = args.ref.lower()
    if existing is None:
        if args.image is None:
            raise UserError(t(lang, "deploy.need_image", name=name))
        return _DeployPlan(
            gw,
            ns,
            name,
            args.image,
            None,
            args.container or name,
            annotations=annotations,
            created=["deployment", *(["service"] if args.port else [])],
        )
    names = [c.name for c in existing.template.containers]
    if args.container:
        if args.container not in names:
            raise UserError(
                t(
                    lang,
                    "deploy.no_container",
                    name=name,
                    container=args.container,
                    containers=", ".join(names),
                )
            )
        container = args.container
    elif name in names or len(names) == 1:
        container = name if name in names else names[0]
    else:
        raise UserError(t(lang, "deploy.which_container", name=name, containers=", ".join(names)))
    old_image = next(c.image for c in existing.template.containers if c.name == container)
    image = args.image or f"{image_repository(old_image)}:{tag_for_ref(args.ref or 'latest')}"
    return _DeployPlan(gw, ns, name, image, existing, container, old_image, annotations)


def _new_app_manifests(
    plan: _DeployPlan, ctx: CommandContext, port: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    labels = {APP_LABEL: plan.name, "app": plan.name, "app.kubernetes.io/managed-by": "klepaas"}
    container: dict[str, Any] = {"name": plan.container, "image": plan.image}
    if port:
        container["ports"] = [{"containerPort": port, "name": "http"}]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": plan.name,
            "namespace": plan.namespace,
            "labels": labels,
            "annotations": {
                CHANGE_CAUSE_ANNOTATION: change_cause(ctx, f"deploy {plan.image}"),
                **plan.annotations,
            },
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {APP_LABEL: plan.name}},
            "template": {
                "metadata": {"labels": labels, "annotations": dict(plan.annotations)},
                "spec": {"containers": [container]},
            },
        },
    }
    service = None
    if port:
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": plan.name, "namespace": plan.namespace, "labels": labels},
            "spec": {
                "selector": {APP_LABEL: plan.name},
                "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
            },
        }
    return deployment, service


async def _apply_deploy(
    ctx: CommandContext, plan: _DeployPlan, port: int | None, dry_run: bool
) -> Deployment:
    if plan.existing is None:
        deployment, service = _new_app_manifests(plan, ctx, port)
        created = await plan.gw.create_deployment(plan.namespace, deployment, dry_run=dry_run)
        if service is not None:
            await plan.gw.create_service(plan.namespace, service, dry_run=dry_run)
        return created
    # The deployment's annotations are copied to the new revision's ReplicaSet: a ref or commit
    # not given now must not be inherited from the previous deploy (null deletes it).
    annotations: dict[str, Any] = {
        REF_ANNOTATION: None,
        COMMIT_ANNOTATION: None,
        **plan.annotations,
        CHANGE_CAUSE_ANNOTATION: change_cause(ctx, f"deploy {plan.image}"),
    }
    patch: dict[str, Any] = {
        "metadata": {"annotations": annotations},
        "spec": {"template": {"spec": {"containers": [{"name": plan.container, "image": plan.image}]}}},
    }
    patch["spec"]["template"]["metadata"] = {
        "annotations": {REF_ANNOTATION: None, COMMIT_ANNOTATION: None, **plan.annotations}
    }
    return await plan.gw.patch_deployment(plan.namespace, plan.name, patch, dry_run=dry_run)


def _deploy_data(plan: _DeployPlan) -> dict[str, Any]:
    return {
        "cluster": plan.gw.cluster,
        "namespace": plan.namespace,
        "name": plan.name,
        "image": plan.image,
        "previous_image": plan.old_image,
        "container": plan.container,
        "new_app": plan.existing is None,
        "created": plan.created,
        "annotations": plan.annotations,
    }


@localise_errors
async def run_deploy(ctx: CommandContext, args: DeployArgs) -> Result:
    lang = ctx.lang
    plan = await _plan_deploy(ctx, args)
    if plan.unchanged:
        summary = t(lang, "deploy.unchanged", name=plan.name, image=plan.image)
        return Result(
            command="deploy",
            status="info",
            summary=summary,
            blocks=[
                Text(text=summary),
                Text(text=t(lang, "hint.restart", name=plan.name)),
                footer(ctx, plan.gw, plan.namespace),
            ],
            data={**_deploy_data(plan), "changed": False},
        )
    await _apply_deploy(ctx, plan, args.port, dry_run=False)
    if plan.existing is None:
        summary = t(lang, "deploy.created", name=plan.name, image=plan.image)
    else:
        summary = t(lang, "deploy.updated", name=plan.name, before=plan.old_image, after=plan.image)
    return Result(
        command="deploy",
        summary=summary,
        blocks=[Text(text=summary), footer(ctx, plan.gw, plan.namespace)],
        data={
            **_deploy_data(plan),
            "changed": True,
            "rollout": rollout_data(plan.gw, plan.namespace, plan.name),
        },
    )


@localise_errors
async def preview_deploy(ctx: CommandContext, args: DeployArgs) -> Result:
    lang = ctx.lang
    plan = await _plan_deploy(ctx, args)
    blocks: list[Block] = [Header(text=t(lang, "preview.title"))]
    if plan.unchanged:
        summary = t(lang, "deploy.unchanged", name=plan.name, image=plan.image)
        blocks.append(Text(text=summary))
    elif plan.existing is None:
        await _apply_deploy(ctx, plan, args.port, dry_run=True)
        key = "deploy.preview_new_service" if args.port else "deploy.preview_new"
        summary = t(lang, key, name=plan.name, image=plan.image, port=args.port or "")
        blocks += [
            Text(text=summary),
            Fields(items=[(t(lang, "label.image"), plan.image), (t(lang, "label.replicas"), "1")]),
        ]
    else:
        after = await _apply_deploy(ctx, plan, args.port, dry_run=True)
        summary = t(lang, "deploy.preview", name=plan.name, before=plan.old_image, after=plan.image)
        blocks += [
            Text(text=summary),
            Fields(
                items=[
                    (t(lang, "label.image"), f"{plan.old_image} → {plan.image}"),
                    (t(lang, "label.container"), plan.container),
                    (t(lang, "label.pods_replaced"), str(plan.existing.replicas)),
                    _rollout_fields(ctx, after),
                ]
            ),
        ]
    blocks.append(footer(ctx, plan.gw, plan.namespace, t(lang, "word.dry_run")))
    return Result(
        command="deploy",
        status="info",
        summary=summary,
        blocks=blocks,
        data={**_deploy_data(plan), "dry_run": True, "changed": not plan.unchanged},
    )


# ---- specs ----------------------------------------------------------------------------------

SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="restart",
        args_model=NameArgs,
        risk=Risk.WRITE,
        scope=Scope.K8S_WRITE,
        run=run_restart,
        preview=preview_restart,
        target_state=deployment_state,
        starts_rollout=True,
        help_en="Restart an app: replace its pods one by one (rolling restart)",
        help_ko="앱 재시작: 파드를 하나씩 교체(롤링 재시작)",
        positional=("name",),
    ),
    CommandSpec(
        name="scale",
        args_model=ScaleArgs,
        risk=Risk.WRITE,
        scope=Scope.K8S_WRITE,
        run=run_scale,
        preview=preview_scale,
        target_state=deployment_state,
        starts_rollout=True,
        help_en="Change how many pods an app runs",
        help_ko="앱의 파드 개수(레플리카) 조정",
        positional=("name", "replicas"),
    ),
    CommandSpec(
        name="rollback",
        args_model=RollbackArgs,
        risk=Risk.DANGEROUS,
        scope=Scope.DEPLOY_EXECUTE,
        run=run_rollback,
        preview=preview_rollback,
        target_state=deployment_state,
        starts_rollout=True,
        help_en="Roll an app back to an earlier revision (the previous one unless told)",
        help_ko="앱을 이전 리비전으로 롤백(지정하지 않으면 직전 리비전)",
        positional=("name", "revision"),
    ),
    CommandSpec(
        name="deploy",
        args_model=DeployArgs,
        risk=Risk.DANGEROUS,
        scope=Scope.DEPLOY_EXECUTE,
        run=run_deploy,
        preview=preview_deploy,
        target_state=deployment_state,
        starts_rollout=True,
        help_en="Deploy an image (or a repo's ref) to an app; creates the app if it is new",
        help_ko="앱에 이미지(또는 저장소의 ref) 배포; 없는 앱이면 새로 만듦",
        positional=("name", "image"),
    ),
]
