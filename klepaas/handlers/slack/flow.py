"""One Slack conversation after the ack: request → pipeline → reply (→ approval → live rollout).

Everything here runs in a spawned task (`SlackDeps.spawn`), so its errors reach the person as an
ephemeral message through the one guard in `tasks.py`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from klepaas.commands.context import Actor
from klepaas.commands.i18n import t
from klepaas.commands.pipeline import ApprovalAnswer, Outcome, Request
from klepaas.commands.result import Context, Result
from klepaas.handlers.slack.approvals import SlackApprover, approve_clicked, deny_clicked, show_decision
from klepaas.handlers.slack.blocks import build_message
from klepaas.handlers.slack.channels import resolve_channel_names
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.intake import Intake
from klepaas.handlers.slack.replies import Where
from klepaas.handlers.slack.rollouts import follow_rollout, parse_rollback_value, rollback_value
from klepaas.handlers.slack.translate import actor, is_help, text_request
from klepaas.llm.plan import CommandInfo, Lang
from klepaas.storage.approvals import ApprovalEntry


def reply_lang(outcome: Outcome, fallback: Lang) -> Lang:
    if fallback == "ko":
        return "ko"
    if outcome.plan is not None:
        return outcome.plan.lang
    if outcome.clarify is not None:
        return outcome.clarify.lang
    return fallback


def error_hint(result: Result, lang: Lang = "en") -> str | None:
    data = result.data
    if data.get("usage"):
        return f"{t(lang, 'word.usage').lower()}: `{data['usage']}`"
    if data.get("hint"):
        return str(data["hint"])
    notes = [block.text for block in result.blocks if isinstance(block, Context)]
    return " · ".join(notes) or None


async def handle_text(
    deps: SlackDeps,
    where: Where,
    who: Actor,
    text: str,
    *,
    key: str | None,
    asked_by: str | None = None,
    asked: str | None = None,
    intake: Intake | None = None,
) -> None:
    """A slash command, mention or DM: help, or one request through the pipeline. With an
    `intake`, the delivery was checked and the request recorded when it was accepted."""
    if intake is None and not await deps.dedup.first_time(key):
        return
    if is_help(text):
        await post_help(deps, where)
        return
    text = await resolve_channel_names(deps.replier.client, text)
    request = text_request(text, who)
    await run_request(deps, where, request, asked_by=asked_by, asked=asked, intake=intake)


async def post_help(deps: SlackDeps, where: Where) -> None:
    message = build_message("help", commands=command_list(deps), lang=where.lang)
    await deps.replier.post(where, message)


def command_list(deps: SlackDeps) -> list[CommandInfo]:
    """The registry as the help and App Home templates show it (name, usage, help, risk)."""
    return deps.services.registry.all_infos()


async def run_request(
    deps: SlackDeps,
    where: Where,
    request: Request,
    *,
    asked_by: str | None = None,
    asked: str | None = None,
    intake: Intake | None = None,
) -> None:
    if intake is not None:  # the row begun when the request was accepted: the pipeline completes it
        request = dataclasses.replace(request, audit_id=intake.claim())
    approver = SlackApprover(
        deps.book,
        deps.replier,
        where,
        deps.settings,
        cluster=request.cluster,
        tasks=deps.tasks,
        policy=deps.services.policy,
    )
    outcome = await deps.pipeline.handle(request, approver)
    where = where.speaking(reply_lang(outcome, where.lang))
    if approver.entry is not None:
        await finish_approval(deps, approver.entry, outcome)
        return
    await report(deps, where, outcome, asked_by=asked_by, asked=asked)


async def report(
    deps: SlackDeps, where: Where, outcome: Outcome, *, asked_by: str | None = None, asked: str | None = None
) -> None:
    result = outcome.result
    if result.status == "error":
        await deps.replier.error(where, result.summary, error_hint(result, where.lang))
        return
    if result.private:  # a secret (a new token): only the person who asked sees it
        message = build_message("result", result=result, asked_by=asked_by, asked=asked, lang=where.lang)
        await deps.replier.ephemeral(where, message)
        return
    ts = await deps.replier.result(where, result, asked_by=asked_by, asked=asked)
    if outcome.rollout is not None and outcome.plan is not None:
        async with deps.tasks.paused():  # minutes of waiting on the cluster, little CPU here
            await follow_rollout(
                deps.pipeline,
                deps.replier,
                where.in_thread(ts),
                outcome.rollout,
                outcome.plan.command,
                min_interval=deps.rollout_edit_interval,
            )


async def finish_approval(deps: SlackDeps, entry: ApprovalEntry, outcome: Outcome) -> None:
    """Record how an approved (or refused) plan ended and edit the approval message to say so."""
    approved = outcome.approval is not None and bool(outcome.approval.approved)
    if approved:
        await deps.book.finish(entry.id, ok=outcome.ok, outcome=outcome.result.summary)
    entry = await deps.book.get(entry.id) or entry
    command = outcome.plan.command if outcome.plan else entry.command
    offer = None
    if outcome.rollout is not None and command == "deploy" and outcome.ok:
        offer = rollback_value(outcome.rollout)
    await show_decision(deps.replier, entry, outcome=outcome.result, rollback_value=offer)
    if outcome.rollout is not None and entry.message_ts is not None:
        where = Where(
            channel=entry.channel,
            user=entry.requester,
            lang=_lang(entry.lang),
            thread_ts=entry.thread_ts or entry.message_ts,
            workspace=entry.workspace,
        )
        async with deps.tasks.paused():
            verdict = await follow_rollout(
                deps.pipeline,
                deps.replier,
                where,
                outcome.rollout,
                command,
                min_interval=deps.rollout_edit_interval,
            )
        if verdict is False and await deps.book.rollout_failed(entry.id, _rollout_failed_summary(entry)):
            # "Approved and done" would be wrong: the change was made, its rollout failed.
            entry = await deps.book.get(entry.id) or entry
            failed = Result(command=command, status="error", summary=_rollout_failed_summary(entry))
            undo = rollback_value(outcome.rollout)
            await show_decision(deps.replier, entry, outcome=failed, rollback_value=undo)


def _rollout_failed_summary(entry: ApprovalEntry) -> str:
    if entry.lang == "ko":
        return "변경은 적용됐지만 롤아웃이 실패했습니다: 스레드의 진행 메시지를 보세요."
    return "The change was applied, but its rollout failed: see the progress message in the thread."


class _PreApproved:
    """The decision was already taken by a click (and stored); the pipeline just proceeds."""

    def __init__(self, approver: str, approved_state: dict[str, Any] | None = None) -> None:
        self.approver = approver
        self.approved_state = approved_state  # the target as previewed: a stale plan is refused

    async def confirm(self, *_: Any) -> ApprovalAnswer:
        return ApprovalAnswer(approved=True, approver=self.approver, approved_state=self.approved_state)


async def approve(
    deps: SlackDeps,
    approval_id: str,
    clicker: str,
    clicked_ts: str | None,
    clicked_channel: str | None = None,
) -> None:
    orphan = await approve_clicked(
        deps.book,
        deps.replier,
        approval_id,
        clicker,
        clicked_ts,
        policy=deps.services.policy,
        clicked_channel=clicked_channel,
    )
    if orphan is not None:
        await execute_approved(deps, orphan, clicker)


async def deny(
    deps: SlackDeps,
    approval_id: str,
    clicker: str,
    clicked_ts: str | None,
    clicked_channel: str | None = None,
) -> None:
    await deny_clicked(
        deps.book,
        deps.replier,
        approval_id,
        clicker,
        clicked_ts,
        policy=deps.services.policy,
        clicked_channel=clicked_channel,
    )


async def execute_approved(deps: SlackDeps, entry: ApprovalEntry, approver: str) -> None:
    """Run a stored plan nobody in this process waits for (approved after a restart)."""
    who = actor(entry.requester, workspace=entry.workspace, channel=entry.channel, thread=entry.thread_ts)
    request = Request(
        actor=who, command=entry.command, args=entry.arguments, lang=_lang(entry.lang), cluster=entry.cluster
    )
    state = await deps.book.approved_state(entry.id)
    outcome = await deps.pipeline.handle(request, _PreApproved(approver, state))
    await finish_approval(deps, entry, outcome)


async def rollback(
    deps: SlackDeps, where: Where, clicker: str, value: str, intake: Intake | None = None
) -> None:
    """The Rollback button: a rollback request by whoever clicked, through approval like any other."""
    args, cluster = parse_rollback_value(value)
    who = actor(clicker, workspace=where.workspace, channel=where.channel, thread=where.thread_ts)
    request = Request(actor=who, command="rollback", args=args, cluster=cluster)
    await run_request(deps, where, request, intake=intake)


async def expire_forever(deps: SlackDeps) -> None:
    """Mark approvals past their time expired, edit their messages, release their waiters."""
    while True:
        for entry in await deps.book.expire_due():
            deps.book.resolve(entry.id, ApprovalAnswer(approved=False, approver=None))
            where = Where(
                channel=entry.channel, user=entry.requester, lang=_lang(entry.lang), thread_ts=entry.thread_ts
            )
            deps.spawn(show_decision(deps.replier, entry), where, name=f"expire {entry.id}")
        for entry in await deps.book.abandon_unrun():
            where = Where(
                channel=entry.channel, user=entry.requester, lang=_lang(entry.lang), thread_ts=entry.thread_ts
            )
            outcome = Result(command=entry.command, status="error", summary=_unrun_summary(entry))
            deps.spawn(show_decision(deps.replier, entry, outcome=outcome), where, name=f"unrun {entry.id}")
        await deps.book.sleep_until_next_expiry()


def _unrun_summary(entry: ApprovalEntry) -> str:
    if entry.lang == "ko":
        return "실행되지 않았습니다: 실행 전에 봇이 멈췄습니다. 다시 요청해 주세요."
    return "Not run: the bot stopped before it could run this. Please ask again."


def _lang(value: str) -> Lang:
    return "ko" if value == "ko" else "en"
