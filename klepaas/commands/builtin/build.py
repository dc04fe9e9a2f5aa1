"""`build <app>`: start the app's GitHub Actions workflow (`workflow_dispatch`). The image it
publishes is deployed by the project's webhook (push or workflow_run) like any other."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import Field

from klepaas.commands.arg_types import GitRef, K8sName
from klepaas.commands.builtin.projects import _projects
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Result
from klepaas.errors import NotFound


class BuildArgs(Args):
    name: K8sName
    ref: GitRef | None = None
    workflow: str | None = Field(None, max_length=200, description="Workflow file, e.g. build.yml")


async def run_build(ctx: CommandContext, args: BuildArgs) -> Result:
    project = await asyncio.to_thread(_projects(ctx).find_by_deployment, args.name)
    if project is None:
        raise NotFound(
            f"No project builds {args.name}.", hint="project add owner/repo deploy=APP channel=#CHANNEL"
        )
    from klepaas.commands.github_api import dispatch_workflow  # PyGithub loads only when used

    workflow, ref = await asyncio.to_thread(
        dispatch_workflow, ctx.settings.github, project.repo, args.workflow or project.workflow, args.ref
    )
    ko = ctx.lang == "ko"
    summary = (
        f"{project.repo}의 {workflow} 워크플로를 {ref}에서 시작했습니다."
        if ko
        else f"Started workflow {workflow} of {project.repo} on {ref}."
    )
    return Result(
        command="build",
        summary=summary,
        data={"repo": project.repo, "workflow": workflow, "ref": ref},
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="build",
        help_en="Build an app: run its GitHub Actions workflow",
        help_ko="앱 빌드: GitHub Actions 워크플로 실행",
        args_model=BuildArgs,
        risk=Risk.WRITE,
        scope=Scope.DEPLOY_EXECUTE,
        run=run_build,
        positional=("name",),
        planner=False,
    ),
]
