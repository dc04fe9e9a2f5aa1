"""Approvals in Slack: the request message with Approve / Deny, the clicks, the expiry.

`SlackApprover` is the pipeline's `Approver` for one Slack request: it stores the exact plan (so
it survives a restart), posts the approval message and waits for a decision. A click decides
with one conditional UPDATE (`ApprovalBook.decide`): two clicks, or a click racing the expiry,
cannot both win. If the request that posted the message is still waiting in this process, the
decision is handed to it; after a restart nobody waits, and the click handler runs the stored
plan itself (`klepaas.handlers.slack.flow.execute_approved`).

Who may approve: the policy says (`RolePolicy.approval_refusal`: the matching rule's approver
roles, users or groups; the requester only for a `write` outside production whose rule allows
self-approval, never for `dangerous` or production). Without a role policy: anyone but the
requester, unless the plan is a `write` outside production. The rule's ttl sets the expiry.

What the approval was granted against (the target's state at the preview) is kept with it
(`approval_guard`), so a plan approved after a restart is still refused when it went stale.
`post_approval_request` asks in the bound Slack channel for requests from other front doors.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.describe import describe_action
from klepaas.commands.pipeline import ApprovalAnswer
from klepaas.commands.policy import Policy, RolePolicy
from klepaas.commands.registry import Args, CommandSpec, Risk
from klepaas.commands.result import Code, Result, Text
from klepaas.config import Settings
from klepaas.errors import Forbidden, UserError
from klepaas.handlers.slack.blocks import build_message
from klepaas.handlers.slack.replies import Replier, Where
from klepaas.handlers.slack.tasks import BackgroundTasks
from klepaas.llm.plan import Lang
from klepaas.logging import get_logger
from klepaas.storage.approvals import ApprovalEntry, Approvals, ApprovalStatus
from klepaas.storage.policy_store import ApprovalGuards

# The sweeper looks at the database at least this often, for approvals another process created.
MAX_SWEEP_INTERVAL_SECONDS = 60.0
# An approved plan runs within seconds of the click (a rollout is followed after); one still not
# finished this long after was left by a bot that stopped.
UNRUN_AFTER_SECONDS = 120.0
UNRUN_OUTCOME = "not run: the bot stopped before it could run this; ask for it again"
# A direct message asking for what needs a teammate's approval (keyed by "is Korean").
_DM_NEEDS_TEAMMATE = {
    True: "이 작업은 다른 사람의 승인이 필요한데, 이 DM은 다른 사람이 볼 수 없어요. "
    "팀 채널에서 요청해 주세요.",
    False: "This needs a teammate's approval, and no one else can see this direct message: "
    "ask in a channel your team uses.",
}
_DM_NEEDS_TEAMMATE_HINT = {
    True: "채널에서 @klepaas 를 멘션해 같은 요청을 하세요",
    False: "mention @klepaas there with the same request",
}

log = get_logger(__name__)


def self_approval_allowed(risk: Risk | str, namespace: str | None, settings: Settings) -> bool:
    """The requester may confirm their own `write` outside production; anything else needs someone else."""
    return Risk(risk) is Risk.WRITE and namespace not in (settings.kube.production_namespace, "*")


@dataclass(frozen=True)
class ApprovalTerms:
    rule: str | None
    self_approve: bool
    ttl_seconds: float | None  # None: KLEPAAS_APPROVAL_TTL


def approval_terms(
    policy: Policy | None,
    settings: Settings,
    spec: CommandSpec[Any],
    namespace: str | None,
    cluster: str | None,
) -> ApprovalTerms:
    """The rule an approval request falls under, whether the requester may approve it, its ttl."""
    if isinstance(policy, RolePolicy):
        requirement = policy.effective_requirement(spec.name, spec.risk, namespace, cluster)
        return ApprovalTerms(requirement.rule, requirement.self_approve, requirement.ttl_seconds)
    return ApprovalTerms(None, self_approval_allowed(spec.risk, namespace, settings), None)


def command_line(command: str, arguments: dict[str, Any]) -> str:
    """`scale api --replicas 3 -n staging`: the plan as it could be typed."""
    parts = [command]
    if "name" in arguments:
        parts.append(str(arguments["name"]))
    for key, value in arguments.items():
        if key in ("name", "namespace") or value is None:
            continue
        parts.append(f"--{key.replace('_', '-')} {value}")
    if arguments.get("namespace"):
        parts.append(f"-n {arguments['namespace']}")
    return " ".join(parts)


def preview_text(preview: Result | None) -> str | None:
    """The dry-run preview as plain text for the approval message."""
    if preview is None:
        return None
    lines = [preview.summary]
    for block in preview.blocks:
        if isinstance(block, Code | Text) and block.text not in lines:
            lines.append(block.text)
    return "\n".join(lines)


def _expires_text(expires_at: float) -> str:
    return datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _lang(entry: ApprovalEntry) -> Lang:
    return "ko" if entry.lang == "ko" else "en"


def approval_message(entry: ApprovalEntry) -> dict[str, Any]:
    return build_message(
        "approval",
        approval_id=entry.id,
        requester=entry.requester,
        plan_text=entry.plan_text,
        command_line=command_line(entry.command, entry.arguments),
        namespace=entry.namespace or "default",
        risk=entry.risk,
        preview=entry.preview,
        expires_at=entry.expires_at,
        expires_text=_expires_text(entry.expires_at),
        self_approve=entry.self_approve,
        lang=_lang(entry),
    )


def decided_message(
    entry: ApprovalEntry, *, outcome: Result | None = None, rollback_value: str | None = None
) -> dict[str, Any]:
    status = entry.status.value if entry.status is not ApprovalStatus.PENDING else "expired"
    return build_message(
        "approval_decided",
        approval_id=entry.id,
        requester=entry.requester,
        plan_text=entry.plan_text,
        command_line=command_line(entry.command, entry.arguments),
        namespace=entry.namespace or "default",
        status=status,
        decided_by=entry.decided_by,
        outcome=outcome,
        rollback_value=rollback_value,
        lang=_lang(entry),
    )


def _already(entry: ApprovalEntry, now: float) -> UserError:
    ko = entry.lang == "ko"
    if entry.status is ApprovalStatus.EXPIRED or entry.expired_at(now):
        return UserError(
            "이 승인 요청은 만료되었습니다." if ko else "This approval request has expired.",
            hint="명령을 다시 요청하세요." if ko else "ask for the command again",
        )
    who = f" by <@{entry.decided_by}>" if entry.decided_by else ""
    if entry.status is ApprovalStatus.DENIED:
        return UserError("이미 거절된 요청입니다." if ko else f"This request was already denied{who}.")
    return UserError("이미 승인된 요청입니다." if ko else f"This request was already approved{who}.")


class ApprovalBook:
    """The approvals table (through a thread), the requests in this process waiting on a decision,
    and the wake-up for the expiry sweeper."""

    def __init__(self, repo: Approvals, ttl_seconds: float, guards: ApprovalGuards | None = None) -> None:
        self.repo = repo
        self.ttl_seconds = ttl_seconds
        self.guards = guards
        self._waiters: dict[str, asyncio.Future[ApprovalAnswer]] = {}
        self._wake = asyncio.Event()

    async def create(self, *, ttl_seconds: float | None = None, **fields: Any) -> ApprovalEntry:
        ttl = ttl_seconds or self.ttl_seconds
        return await asyncio.to_thread(lambda: self.repo.create(ttl_seconds=ttl, **fields))

    async def guard(self, approval_id: str, *, rule: str | None, state: dict[str, Any] | None) -> None:
        """Keep what the approval is granted against (the rule, the target's state at the preview)."""
        if self.guards is not None:
            guards = self.guards
            await asyncio.to_thread(lambda: guards.put(approval_id, rule=rule, state=state))

    async def approved_state(self, approval_id: str) -> dict[str, Any] | None:
        if self.guards is None:
            return None
        entry = await asyncio.to_thread(self.guards.get, approval_id)
        return entry.state if entry is not None and entry.state else None

    async def get(self, approval_id: str) -> ApprovalEntry | None:
        return await asyncio.to_thread(self.repo.get, approval_id)

    async def set_message(self, approval_id: str, ts: str) -> None:
        await asyncio.to_thread(self.repo.set_message, approval_id, ts)

    async def decide(self, approval_id: str, *, approve: bool, decided_by: str) -> bool:
        return await asyncio.to_thread(
            lambda: self.repo.decide(approval_id, approve=approve, decided_by=decided_by)
        )

    async def finish(self, approval_id: str, *, ok: bool, outcome: str) -> bool:
        return await asyncio.to_thread(lambda: self.repo.finish(approval_id, ok=ok, outcome=outcome))

    async def rollout_failed(self, approval_id: str, outcome: str) -> bool:
        return await asyncio.to_thread(lambda: self.repo.rollout_failed(approval_id, outcome=outcome))

    async def expire_due(self) -> list[ApprovalEntry]:
        return await asyncio.to_thread(self.repo.expire_due)

    def waiter(self, approval_id: str) -> asyncio.Future[ApprovalAnswer]:
        future: asyncio.Future[ApprovalAnswer] = asyncio.get_running_loop().create_future()
        self._waiters[approval_id] = future
        self.wake()
        return future

    def wake(self) -> None:
        """Make the sweeper look again now (a new approval, or one found past its time)."""
        self._wake.set()

    def forget(self, approval_id: str) -> None:
        self._waiters.pop(approval_id, None)

    def resolve(self, approval_id: str, answer: ApprovalAnswer) -> bool:
        """Hand a decision to the request waiting for it; False if none waits in this process."""
        future = self._waiters.pop(approval_id, None)
        if future is None or future.done():
            return False
        future.set_result(answer)
        return True

    async def abandon_unrun(self) -> list[ApprovalEntry]:
        """Approvals approved long enough ago that their run would have finished, but never
        finished: the bot stopped between the click and the run. Closed as failed (run nothing:
        it may have run before the stop), to be shown as such rather than left "approved"."""
        cutoff = time.time() - UNRUN_AFTER_SECONDS
        return await asyncio.to_thread(self.repo.abandon_unrun, cutoff, UNRUN_OUTCOME)

    async def sleep_until_next_expiry(self) -> None:
        """Until the earliest pending approval is due, a new one is created, or the max interval."""
        self._wake.clear()
        next_at = await asyncio.to_thread(self.repo.next_expiry)
        delay = MAX_SWEEP_INTERVAL_SECONDS
        if next_at is not None:
            delay = min(delay, max(0.0, next_at - time.time()) + 0.01)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)


class SlackApprover:
    """The pipeline's Approver for one Slack request."""

    def __init__(
        self,
        book: ApprovalBook,
        replier: Replier,
        where: Where,
        settings: Settings,
        cluster: str | None,
        tasks: BackgroundTasks,
        policy: Policy | None = None,
    ) -> None:
        self.tasks = tasks
        self.policy = policy
        self.book = book
        self.replier = replier
        self.where = where
        self.settings = settings
        self.cluster = cluster
        self.entry: ApprovalEntry | None = None

    async def confirm(
        self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None
    ) -> ApprovalAnswer:
        namespace = getattr(args, "namespace", None)
        terms = approval_terms(self.policy, self.settings, spec, namespace, self.cluster)
        if (self.where.channel or "").startswith("D") and not terms.self_approve:
            # Only the requester sees a direct message, and they may not approve it themselves.
            ko = self.where.lang == "ko"
            raise UserError(_DM_NEEDS_TEAMMATE[ko], hint=_DM_NEEDS_TEAMMATE_HINT[ko])
        entry = await self.book.create(
            command=spec.name,
            arguments=args.model_dump(mode="json", exclude_none=True),
            plan_text=describe_action(spec, args, self.where.lang),
            preview=preview_text(preview),
            risk=spec.risk.value,
            namespace=namespace,
            cluster=self.cluster,
            requester=actor.id,
            workspace=actor.workspace,
            channel=self.where.channel,
            thread_ts=self.where.thread_ts,
            lang=self.where.lang,
            self_approve=terms.self_approve,
            ttl_seconds=terms.ttl_seconds,
        )
        await self.book.guard(entry.id, rule=terms.rule, state=_target_state(preview))
        decision = self.book.waiter(entry.id)
        try:
            # Posted and recorded together, even if shutdown cancels us in between: the sweeper
            # and the decision edit the message by the ts recorded here.
            self.entry = await self.tasks.critical(self._post(entry))
            async with self.tasks.paused():  # a person decides: others may run meanwhile
                return await decision
        finally:
            self.book.forget(entry.id)

    async def _post(self, entry: ApprovalEntry) -> ApprovalEntry:
        ts = await self.replier.post(self.where, approval_message(entry))
        if ts is None:
            return entry
        await self.book.set_message(entry.id, ts)
        return await self.book.get(entry.id) or entry


async def approve_clicked(
    book: ApprovalBook,
    replier: Replier,
    approval_id: str,
    clicker: str,
    clicked_ts: str | None = None,
    policy: Policy | None = None,
    clicked_channel: str | None = None,
) -> ApprovalEntry | None:
    """Approve; returns the entry when nobody in this process waits for it (run it), else None."""
    entry = await _pending(book, approval_id, clicked_ts, clicked_channel)
    ko = entry.lang == "ko"
    if clicker == entry.requester and not entry.self_approve:
        raise Forbidden(
            "본인의 요청은 직접 승인할 수 없습니다." if ko else "You cannot approve your own request.",
            hint="다른 팀원에게 승인을 부탁하세요." if ko else "ask a teammate to click Approve",
        )
    _check_may_decide(entry, clicker, policy)
    entry, resolved = await _decide(book, replier, approval_id, clicker, approve=True)
    return None if resolved else entry


async def deny_clicked(
    book: ApprovalBook,
    replier: Replier,
    approval_id: str,
    clicker: str,
    clicked_ts: str | None = None,
    policy: Policy | None = None,
    clicked_channel: str | None = None,
) -> None:
    """Deny: the requester withdrawing it, or someone who may approve it (not any passer-by)."""
    entry = await _pending(book, approval_id, clicked_ts, clicked_channel)
    if clicker != entry.requester:
        _check_may_decide(entry, clicker, policy)
    await _decide(book, replier, approval_id, clicker, approve=False)


async def _decide(
    book: ApprovalBook, replier: Replier, approval_id: str, clicker: str, *, approve: bool
) -> tuple[ApprovalEntry, bool]:
    """Record the decision (once: a second click is told who was first), release the request
    waiting on it, then show it; returns the entry and whether a request in this process waited."""
    if not await book.decide(approval_id, approve=approve, decided_by=clicker):
        raise _already(await _existing(book, approval_id), time.time())
    entry = await _existing(book, approval_id)
    # The decision is taken: the waiting request goes on even if the message cannot be edited.
    resolved = book.resolve(approval_id, ApprovalAnswer(approved=approve, approver=clicker))
    await _show_decision_or_log(replier, entry)
    return entry, resolved


def _check_may_decide(entry: ApprovalEntry, clicker: str, policy: Policy | None) -> None:
    if not isinstance(policy, RolePolicy):
        return
    refusal = policy.approval_refusal(
        command=entry.command,
        risk=entry.risk,
        namespace=entry.namespace,
        cluster=entry.cluster,
        requester=entry.requester,
        approver=clicker,
    )
    if refusal is not None:
        ko = entry.lang == "ko"
        raise Forbidden(
            f"이 요청을 결정할 권한이 없습니다: {refusal}" if ko else refusal,
            hint="승인 권한이 있는 사람에게 부탁하세요." if ko else "ask someone who may approve it",
        )


async def _show_decision_or_log(replier: Replier, entry: ApprovalEntry) -> None:
    try:
        await show_decision(replier, entry)
    except Exception as exc:  # the decision is stored and acted on; only its display failed
        log.warning("could not show the approval's decision", approval=entry.id, error=str(exc))


async def show_decision(
    replier: Replier,
    entry: ApprovalEntry,
    *,
    outcome: Result | None = None,
    rollback_value: str | None = None,
) -> None:
    """Edit the approval message into its decided form (buttons gone)."""
    if entry.message_ts is None:
        return
    await replier.update(
        entry.channel,
        entry.message_ts,
        decided_message(entry, outcome=outcome, rollback_value=rollback_value),
        workspace=entry.workspace,
    )


async def _existing(book: ApprovalBook, approval_id: str) -> ApprovalEntry:
    entry = await book.get(approval_id)
    if entry is None:
        raise UserError("This approval request no longer exists.", hint="ask for the command again")
    return entry


async def _pending(
    book: ApprovalBook, approval_id: str, clicked_ts: str | None, clicked_channel: str | None = None
) -> ApprovalEntry:
    entry = await _existing(book, approval_id)
    # The button's value names the approval; the message it sits on must be that approval's own,
    # or a value copied onto another message (another channel) could decide it.
    if _differs(clicked_channel, entry.channel) or _differs(clicked_ts, entry.message_ts):
        ko = entry.lang == "ko"
        raise Forbidden(
            "이 버튼은 이 승인 요청의 것이 아닙니다."
            if ko
            else "This button does not belong to that approval request.",
        )
    if entry.message_ts is None and clicked_ts is not None:
        # The bot stopped between posting the message and recording it; the click names it.
        await book.set_message(approval_id, clicked_ts)
        entry = await _existing(book, approval_id)
    now = time.time()
    if entry.status is not ApprovalStatus.PENDING or entry.expired_at(now):
        if entry.expired_at(now):
            book.wake()  # the sweeper marks it expired and edits the message
        raise _already(entry, now)
    return entry


def _differs(clicked: str | None, recorded: str | None) -> bool:
    return clicked is not None and recorded is not None and clicked != recorded


def _target_state(preview: Result | None) -> dict[str, Any] | None:
    state = preview.data.get("target_state") if preview is not None else None
    return dict(state) if isinstance(state, dict) else None


async def post_approval_request(
    book: ApprovalBook,
    replier: Replier,
    *,
    policy: Policy | None,
    settings: Settings,
    actor: Actor,
    spec: CommandSpec[Any],
    args: Args,
    preview: Result | None,
    cluster: str | None,
    channel: str | None = None,
    lang: Lang = "en",
) -> ApprovalEntry:
    """Ask for an approval in Slack for a request from another front door (MCP, the HTTP API), and
    return the stored approval (its id is what the caller answers with). The channel is `channel`
    if given, else the one bound to the request's namespace (and cluster). Nobody waits on it:
    a click runs the stored plan (`flow.execute_approved`)."""
    namespace = getattr(args, "namespace", None)
    if channel is None and isinstance(policy, RolePolicy):
        channel = policy.channel_for(namespace, cluster)
    if not channel:
        raise UserError(
            f"{spec.name} needs an approval, and no Slack channel is bound to {namespace or 'default'}",
            hint="bind a channel to it (`/klepaas bind NAMESPACE` there) or add it to the policy file",
        )
    terms = approval_terms(policy, settings, spec, namespace, cluster)
    entry = await book.create(
        command=spec.name,
        arguments=args.model_dump(mode="json", exclude_none=True),
        plan_text=describe_action(spec, args, lang),
        preview=preview_text(preview),
        risk=spec.risk.value,
        namespace=namespace,
        cluster=cluster,
        requester=actor.id,
        workspace=actor.workspace,
        channel=channel,
        thread_ts=None,
        lang=lang,
        self_approve=terms.self_approve,
        ttl_seconds=terms.ttl_seconds,
    )
    await book.guard(entry.id, rule=terms.rule, state=_target_state(preview))
    ts = await replier.post(
        Where(channel=channel, user=actor.id, workspace=actor.workspace), approval_message(entry)
    )
    if ts is not None:
        await book.set_message(entry.id, ts)
    book.wake()  # the expiry sweeper learns of it
    return await book.get(entry.id) or entry
