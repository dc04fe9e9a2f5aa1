"""`project add | list | remove`: bind a GitHub repository to its deployment and Slack channel.

A push to the default branch (or a successful workflow run, `trigger=workflow_run`) deploys
`image` with `{sha}` filled in to `ns`; a published release deploys to `prod` after an approval.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from klepaas.commands.arg_types import ContainerName, K8sName, Namespace, RepoName
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Result, Table
from klepaas.errors import NotFound, UserError
from klepaas.storage import Storage
from klepaas.storage.projects import Project, Projects

_CHANNEL = re.compile(
    r"^(?:<#(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>|(?P<bare>[CDG][A-Z0-9]{4,})|#?(?P<name>[a-z0-9][a-z0-9._-]{0,79}))$"
)


def _check_channel(value: str) -> str:
    match = _CHANNEL.match(value.strip())
    if not match:
        raise ValueError(f'"{value}" is not a Slack channel (#deploys or a channel id)')
    channel_id = match.group("id") or match.group("bare")
    return channel_id or f"#{match.group('name')}"  # an id, or "#name" (chat.postMessage takes both)


def _check_template(value: str) -> str:
    if "{sha}" not in value and "{short_sha}" not in value and "{tag}" not in value:
        raise ValueError(
            "the image template needs {sha} (or {short_sha}, {tag}), e.g. ghcr.io/acme/api:{sha}"
        )
    if any(c.isspace() for c in value):
        raise ValueError("an image template has no spaces")
    return value


Channel = Annotated[str, AfterValidator(_check_channel), Field(description="Slack channel, e.g. #deploys")]
ImageTemplate = Annotated[
    str,
    AfterValidator(_check_template),
    Field(description="Image per commit, e.g. ghcr.io/acme/api:{sha}; default ghcr.io/<repo>:{sha}"),
]


class ProjectAddArgs(Args):
    repo: RepoName
    deploy: K8sName = Field(description="The deployment to update")
    channel: Channel
    ns: Namespace | None = Field(None, description="Where pushes deploy (default: the staging namespace)")
    prod: Namespace | None = Field(
        None, description="Where releases deploy (default: the production namespace)"
    )
    image: ImageTemplate | None = None
    container: ContainerName | None = None
    cluster: str | None = Field(None, description="kubeconfig context; default the default one")
    trigger: Literal["push", "workflow_run"] = "push"
    workflow: str | None = Field(None, description="Workflow file `build` dispatches, e.g. build.yml")


class ProjectNameArgs(Args):
    repo: RepoName


class NoArgs(Args):
    pass


def _projects(ctx: CommandContext) -> Projects:
    return Projects(_storage(ctx).engine)


def _storage(ctx: CommandContext) -> Storage:
    if ctx.storage is None:
        raise UserError("This command needs the database, which this front door has not opened.")
    return ctx.storage


def project_json(p: Project) -> dict[str, Any]:
    return {
        "repo": p.repo,
        "deployment": p.deployment,
        "namespace": p.namespace,
        "production_namespace": p.production_namespace,
        "image_template": p.image_template,
        "container": p.container,
        "cluster": p.cluster,
        "channel": p.channel,
        "trigger": p.trigger,
        "workflow": p.workflow,
    }


async def _check_target(ctx: CommandContext, args: ProjectAddArgs, namespace: str) -> None:
    """The deployment (and container) pushes will update must exist: a typo is told now, not at
    the first push."""
    try:
        deployment = await ctx.gateway(args.cluster).get_deployment(namespace, args.deploy)
    except NotFound:
        raise NotFound(
            f"No deployment {args.deploy} in namespace {namespace}.",
            hint=f"`list_deployments {namespace}` shows them; or give ns= where it runs",
        ) from None
    names = [c.name for c in deployment.template.containers]
    if args.container is not None and args.container not in names:
        raise UserError(
            f"Deployment {args.deploy} has no container {args.container}.",
            hint=f"its containers: {', '.join(names)}",
        )


async def run_add(ctx: CommandContext, args: ProjectAddArgs) -> Result:
    kube = ctx.settings.kube
    await _check_target(ctx, args, args.ns or kube.staging_namespace)
    project = await asyncio.to_thread(
        _projects(ctx).add,
        repo=args.repo,
        namespace=args.ns or kube.staging_namespace,
        production_namespace=args.prod or kube.production_namespace,
        deployment=args.deploy,
        container=args.container,
        image_template=args.image or f"ghcr.io/{args.repo.lower()}:{{sha}}",
        channel=args.channel,
        cluster=args.cluster,
        trigger=args.trigger,
        workflow=args.workflow,
        created_by=ctx.actor.id,
        workspace=ctx.actor.workspace,
    )
    ko = ctx.lang == "ko"
    summary = (
        f"{project.repo} 프로젝트를 등록했습니다: "
        f"{project.trigger} → {project.namespace}/{project.deployment}"
        if ko
        else f"Project {project.repo} added: {project.trigger} → {project.namespace}/{project.deployment}, "
        f"releases → {project.production_namespace}, reports in {project.channel}"
    )
    return Result(command="project_add", summary=summary, data={"project": project_json(project)})


async def run_list(ctx: CommandContext, args: NoArgs) -> Result:
    projects = await asyncio.to_thread(_projects(ctx).list)
    rows = [
        [
            p.repo,
            f"{p.namespace}/{p.deployment}",
            p.production_namespace or "-",
            p.image_template,
            p.trigger,
            p.channel,
        ]
        for p in projects
    ]
    ko = ctx.lang == "ko"
    summary = (
        (f"프로젝트 {len(projects)}개" if ko else f"{len(projects)} project(s)")
        if projects
        else (
            "등록된 프로젝트가 없습니다."
            if ko
            else "No projects yet: project add owner/repo deploy=APP channel=#CHANNEL"
        )
    )
    return Result(
        command="project_list",
        status="success" if projects else "info",
        summary=summary,
        blocks=[Table(columns=["repo", "deploys", "releases", "image", "trigger", "channel"], rows=rows)]
        if rows
        else [],
        data={"projects": [project_json(p) for p in projects]},
    )


async def run_remove(ctx: CommandContext, args: ProjectNameArgs) -> Result:
    project = await asyncio.to_thread(_projects(ctx).remove, args.repo)
    ko = ctx.lang == "ko"
    return Result(
        command="project_remove",
        summary=f"{project.repo} 프로젝트를 삭제했습니다." if ko else f"Project {project.repo} removed.",
        data={"project": project_json(project)},
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="project_add",
        help_en="Deploy a GitHub repository on push/release, reporting in a channel",
        help_ko="GitHub 저장소를 push/릴리스 때 배포하도록 등록",
        args_model=ProjectAddArgs,
        risk=Risk.WRITE,
        scope=Scope.ADMIN_WRITE,
        run=run_add,
        words=("project", "add"),
        positional=("repo",),
        planner=False,
    ),
    CommandSpec(
        name="project_list",
        help_en="The repositories deployed from GitHub",
        help_ko="GitHub에서 배포되는 저장소 목록",
        args_model=NoArgs,
        risk=Risk.READ,
        scope=Scope.ADMIN_READ,
        run=run_list,
        words=("project", "list"),
        planner=False,
    ),
    CommandSpec(
        name="project_remove",
        help_en="Stop deploying a repository from GitHub",
        help_ko="GitHub 저장소 배포 등록 해제",
        args_model=ProjectNameArgs,
        risk=Risk.WRITE,
        scope=Scope.ADMIN_WRITE,
        run=run_remove,
        words=("project", "remove"),
        positional=("repo",),
        planner=False,
    ),
]
