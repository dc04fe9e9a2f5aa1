"""One deploy from GitHub, told in one Slack thread in the project's channel:

1. the first message: what (repo → namespace/deployment, image), from which commit and author;
2. staging: the deploy runs at once (the project is the standing approval for its staging
   deployment); production (a release): the approval request, in the same thread;
3. the result, then the live rollout message (edited as replicas become ready, with Rollback);
4. the first message edited with the outcome; the delivery's status and the deployment history.
"""

from __future__ import annotations

import asyncio
from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import ApprovalAnswer, Outcome, Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.handlers.github.events import DeployIntent
from klepaas.handlers.slack import flow
from klepaas.handlers.slack.approvals import SlackApprover
from klepaas.handlers.slack.blocks import build_message
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.replies import Where
from klepaas.logging import get_logger
from klepaas.storage.projects import Project, WebhookDeliveries

log = get_logger(__name__)


class ProjectApproval:
    """Staging deploys of a registered project: registering it (an admin) approved them."""

    def __init__(self, project: Project) -> None:
        self.project = project

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> ApprovalAnswer:
        return ApprovalAnswer(approved=True, approver=f"project:{self.project.repo}")


def deploy_request(project: Project, intent: DeployIntent) -> Request:
    who = Actor(
        id=f"github:{intent.author}",
        source="webhook",
        name=intent.author,
        workspace=project.workspace,
        channel=project.channel,
    )
    args: dict[str, Any] = {
        "name": project.deployment,
        "namespace": intent.namespace(project),
        "image": intent.image(project),
    }
    if project.container:
        args["container"] = project.container
    return Request(actor=who, command="deploy", args=args, cluster=project.cluster)


def header(project: Project, intent: DeployIntent, phase: str, outcome: str | None = None) -> dict[str, Any]:
    return build_message(
        "github_deploy",
        repo=project.repo,
        event=intent.event,
        environment=intent.environment,
        namespace=intent.namespace(project),
        deployment=project.deployment,
        image=intent.image(project),
        sha=intent.sha,
        ref=intent.ref,
        author=intent.author,
        title=intent.title,
        url=intent.url,
        phase=phase,
        outcome=outcome,
        lang="en",
    )


async def run_deploy(deps: SlackDeps, project: Project, intent: DeployIntent, delivery_id: str) -> None:
    deliveries = WebhookDeliveries(deps.services.storage.engine)
    production = intent.environment == "production"
    where = Where(channel=project.channel, user=f"github:{intent.author}", workspace=project.workspace)
    phase = "awaiting_approval" if production else "started"
    ts = await deps.tasks.critical(deps.replier.post(where, header(project, intent, phase)))
    where = where.in_thread(ts)
    request = deploy_request(project, intent)

    outcome: Outcome
    if production:
        approver = SlackApprover(
            deps.book, deps.replier, where, deps.settings, cluster=project.cluster, tasks=deps.tasks
        )
        outcome = await deps.pipeline.handle(request, approver)
        if approver.entry is not None:
            await flow.finish_approval(deps, approver.entry, outcome)
        else:
            await report_in_thread(deps, where, outcome)
    else:
        outcome = await deps.pipeline.handle(request, ProjectApproval(project))
        await report_in_thread(deps, where, outcome)

    ok = outcome.ok and not (outcome.approval is not None and outcome.approval.approved is False)
    status = "deployed" if ok else "failed"
    if ts is not None:
        await deps.replier.update(
            project.channel,
            ts,
            header(project, intent, "success" if ok else "failure", outcome.result.summary),
            workspace=project.workspace,
        )
    await asyncio.to_thread(deliveries.set_status, delivery_id, status, outcome.result.summary)
    await _record_history(deps, project, intent, outcome, ok)
    log.info(
        "deploy from GitHub finished",
        repo=project.repo,
        github_event=intent.event,
        sha=intent.sha,
        status=status,
    )


async def report_in_thread(deps: SlackDeps, where: Where, outcome: Outcome) -> None:
    """The result (and the live rollout) in the thread; an error too, visibly: nobody typed this
    request, so there is nobody to tell privately."""
    result = outcome.result
    if result.status == "error":
        await deps.replier.post(
            where, build_message("error", message=result.summary, hint=flow.error_hint(result), lang="en")
        )
        return
    await flow.report(deps, where, outcome)


async def tell_in_thread(deps: SlackDeps, where: Where, message: str, hint: str | None) -> None:
    await deps.replier.post(where, build_message("error", message=message, hint=hint, lang="en"))


async def _record_history(
    deps: SlackDeps, project: Project, intent: DeployIntent, outcome: Outcome, ok: bool
) -> None:
    """The deployment history (the safety layer's table) with the commit, for rollback by commit.
    The pipeline's own history row records the command as for every request."""
    try:
        from klepaas.storage.policy_store import DeploymentLog
    except ImportError:  # the safety layer is not there: the pipeline's history row is the record
        return
    data = outcome.result.data
    await asyncio.to_thread(
        DeploymentLog(deps.services.storage.engine).record,
        app=project.deployment,
        namespace=intent.namespace(project),
        cluster=project.cluster,
        command="deploy",
        trigger=f"github:{intent.event}",
        actor_id=f"github:{intent.author}",
        outcome="success" if ok else "failure",
        image_before=_str(data.get("image_before") or data.get("previous_image")),
        image_after=intent.image(project),
        commit=None if intent.tag else intent.sha.lower(),
        audit_id=outcome.audit_id,
        summary=outcome.result.summary,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
