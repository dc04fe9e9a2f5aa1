"""An approval that is asked for and not waited on (MCP tools, the HTTP API).

The policy's terms decide it, as in Slack (`post_approval_request`: who may approve, the ttl, the
channel bound to the namespace): the exact plan is stored and the approval message posted to the
channel bound to the request's namespace, else to the token's own channel. The request answers at
once "pending approval <id>". The requester is the token's owner, so the person who issued the
token cannot approve its requests alone where the rule forbids self-approval. When someone clicks
Approve, nobody in this process waits for it: the click runs the stored plan
(`flow.execute_approved`) and the outcome is recorded on the approval (`get_approval <id>`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import ApprovalAnswer
from klepaas.commands.policy import RolePolicy
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.handlers.slack.approvals import post_approval_request
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.storage.approvals import ApprovalEntry
from klepaas.storage.tokens import ApiToken


class DeferredSlackApprover:
    def __init__(self, deps: SlackDeps, token: ApiToken, cluster: str | None) -> None:
        self.deps = deps
        self.token = token
        self.cluster = cluster
        self.entry: ApprovalEntry | None = None

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> ApprovalAnswer:
        policy = self.deps.services.policy
        namespace = getattr(args, "namespace", None)
        bound = policy.channel_for(namespace, self.cluster) if isinstance(policy, RolePolicy) else None
        channel = bound or self.token.channel
        requester = replace(actor, id=self.token.created_by, channel=channel)
        self.entry = await self.deps.tasks.critical(
            post_approval_request(
                self.deps.book,
                self.deps.replier,
                policy=policy,
                settings=self.deps.settings,
                actor=requester,
                spec=spec,
                args=args,
                preview=preview,
                cluster=self.cluster,
                channel=channel,
            )
        )
        return ApprovalAnswer(approved=False, approver=None)  # not yet: the click runs it


def pending_summary(entry: ApprovalEntry) -> str:
    return f"pending approval {entry.id}, posted to {entry.channel}; see get_approval {entry.id}"
