"""An approval that is asked for and not waited on (MCP tools, the HTTP API).

The exact plan is stored and the approval message posted to the token's Slack channel; the
request answers at once "pending approval <id>". When someone clicks Approve, nobody in this
process waits for it, so the click runs the stored plan (`flow.execute_approved`) and the
outcome is recorded on the approval, readable with `get_approval <id>`.
"""

from __future__ import annotations

from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.describe import describe_action
from klepaas.commands.pipeline import ApprovalAnswer
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.errors import UserError
from klepaas.handlers.slack.approvals import approval_message, preview_text, self_approval_allowed
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.replies import Where
from klepaas.storage.approvals import ApprovalEntry


class DeferredSlackApprover:
    def __init__(self, deps: SlackDeps, channel: str | None, cluster: str | None) -> None:
        self.deps = deps
        self.channel = channel
        self.cluster = cluster
        self.entry: ApprovalEntry | None = None

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> ApprovalAnswer:
        if not self.channel:
            raise UserError(
                f"{spec.name} needs an approval, and this token has no Slack channel to ask in",
                hint="create the token with --channel #ops",
            )
        namespace = getattr(args, "namespace", None)
        entry = await self.deps.book.create(
            command=spec.name,
            arguments=args.model_dump(mode="json", exclude_none=True),
            plan_text=describe_action(spec, args, "en"),
            preview=preview_text(preview),
            risk=spec.risk.value,
            namespace=namespace,
            cluster=self.cluster,
            requester=actor.id,
            workspace=actor.workspace,
            channel=self.channel,
            thread_ts=None,
            lang="en",
            self_approve=self_approval_allowed(spec.risk, namespace, self.deps.settings),
        )
        where = Where(channel=self.channel, user=actor.id, workspace=actor.workspace)
        ts = await self.deps.tasks.critical(self.deps.replier.post(where, approval_message(entry)))
        if ts is not None:
            await self.deps.book.set_message(entry.id, ts)
        self.deps.book.wake()  # the expiry sweeper learns of it
        self.entry = await self.deps.book.get(entry.id) or entry
        return ApprovalAnswer(approved=False, approver=None)  # not yet: the click runs it


def pending_summary(entry: ApprovalEntry) -> str:
    return f"pending approval {entry.id}, posted to {entry.channel}; see get_approval {entry.id}"
