"""The one path every request takes: plan → policy → (approval) → execute → audit → result.

Front doors (console, Slack, MCP, webhooks) build a `Request`, call `Pipeline.handle`, and render
the `Outcome`. Nothing here knows about Slack or terminals: asking a person for an approval is the
front door's `Approver`.

Free text goes to the planner with the app (deployment) names of the request's namespaces, from
`klepaas.commands.appnames` (one list call per namespace, cached briefly; none at all when the
cluster cannot tell, which never fails the request). A plan may not turn a name the user typed into
another app's. The rollout a command started, to be followed by the front door, is the one the
command names in `result.data["rollout"]`.

Error handling lives in exactly one place, `Pipeline.handle`: a `KlepaasError` becomes an error
Result carrying its message; anything else is logged once with its traceback and becomes a
generic internal-error Result. Storage calls are sync SQLAlchemy run with `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from klepaas.commands.appnames import AppNameSource, ClusterAppNames
from klepaas.commands.arg_types import invalid_name_reason, shown
from klepaas.commands.context import Actor, CommandContext
from klepaas.commands.conversation import ConversationMemory
from klepaas.commands.deployments import deployment_fields, stale_reason
from klepaas.commands.failures import error_result, internal_error_result, localized
from klepaas.commands.grammar import ALL_NAMESPACES, Grammar, Structured, UsageError, validate_args
from klepaas.commands.localise import policy_reason
from klepaas.commands.observe import record_outcome
from klepaas.commands.policy import Action, Bindings, ChannelBinding, Decision, Policy, StaticBindings
from klepaas.commands.registry import Args, CommandSpec, Registry, Risk, UnknownCommand
from klepaas.commands.request import (
    Approval,
    ApprovalAnswer,
    Approver,
    Outcome,
    Planner,
    Request,
    RolloutTarget,
)
from klepaas.commands.result import Context, Result
from klepaas.config import Settings
from klepaas.errors import Forbidden, KlepaasError, UserError
from klepaas.llm.plan import Clarify, Lang, Plan, PlanningContext
from klepaas.logging import get_logger
from klepaas.storage import AuditOutcome, Storage, WouldWait, WriteConnection
from klepaas.storage.conversations import ConversationStore
from klepaas.storage.policy_store import DeploymentLog

if TYPE_CHECKING:
    from klepaas.k8s.clusters import KubeClusters
    from klepaas.k8s.rollout import RolloutSnapshot

__all__ = [
    "Approval",
    "ApprovalAnswer",
    "Approver",
    "Outcome",
    "Pipeline",
    "Planner",
    "Request",
    "RolloutTarget",
    "error_result",
    "internal_error_result",
]

log = get_logger(__name__)

T = TypeVar("T")

DEFAULT_NAMESPACE = "default"
# Commands for which "no namespace given" means every namespace (every bound one, in a bound channel)
# rather than the channel's default namespace.
_ALL_NAMESPACES_BY_DEFAULT = frozenset({"overview"})


@dataclass
class _Attempt:
    """What is known about a request so far; becomes the Outcome."""

    request: Request
    actor: Actor
    lang: Lang
    plan: Plan | None = None
    clarify: Clarify | None = None
    spec: CommandSpec[Any] | None = None
    args: Args | None = None
    namespace: str | None = None
    cluster: str | None = None
    decision: Decision | None = None
    audit_id: int | None = None
    audit_open: bool = False
    recognised: str | None = None  # the command named, when known without a plan (usage errors)
    approval: Approval | None = None
    rollout: RolloutTarget | None = None

    @property
    def command(self) -> str | None:
        if self.plan is not None:
            return self.plan.command
        return self.request.command or self.recognised

    @command.setter
    def command(self, name: str) -> None:
        self.recognised = name

    def outcome(self, result: Result) -> Outcome:
        return Outcome(
            result=result,
            plan=self.plan,
            clarify=self.clarify,
            decision=self.decision,
            audit_id=self.audit_id,
            approval=self.approval,
            namespace=self.namespace,
            cluster=self.cluster,
            rollout=self.rollout,
        )


class Pipeline:
    def __init__(
        self,
        *,
        settings: Settings,
        registry: Registry,
        clusters: KubeClusters,
        storage: Storage,
        policy: Policy,
        planner: Planner | None = None,
        bindings: Bindings | None = None,
        app_names: AppNameSource | None = None,
        conversations: ConversationStore | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.clusters = clusters
        self.storage = storage
        self.policy = policy
        self.planner = planner
        self.bindings = bindings or StaticBindings()
        self.grammar = Grammar(registry)
        # What the planner is told exists (deployment names, cached briefly per cluster and namespace).
        self.app_names: AppNameSource = app_names or ClusterAppNames(clusters)
        self.deployments = DeploymentLog(storage.engine)
        # The last plan of each conversation (Slack thread, console session), for follow-ups.
        self.conversations = ConversationMemory(conversations) if conversations is not None else None
        # Audit completions being written behind read commands' answers.
        self._behind: set[asyncio.Future[None]] = set()

    async def handle(self, request: Request, approver: Approver | None = None) -> Outcome:
        """Run one request to its Outcome. Never raises for a failed command; see the module doc."""
        attempt = _Attempt(request=request, actor=request.effective_actor, lang=request.lang or "en")
        try:
            result = await self._handle(attempt, approver)
        except KlepaasError as exc:
            if isinstance(exc, UsageError) and attempt.plan is None:
                attempt.command = exc.command  # recognised, but its arguments were not
            result = error_result(attempt.command or "error", exc, attempt.lang)
            await self._close_after_error(attempt, AuditOutcome.FAILURE, str(exc))
        except asyncio.CancelledError:
            self._close_cancelled(attempt)
            raise
        except Exception:
            log.exception(
                "request failed with an internal error",
                command=attempt.command,
                actor=attempt.actor.id,
                audit_id=attempt.audit_id,
            )
            result = internal_error_result(attempt.command or "error", attempt.lang)
            await self._close_after_error(attempt, AuditOutcome.FAILURE, "internal error")
        outcome = attempt.outcome(result)
        record_outcome(outcome)
        return outcome

    async def follow_rollout(self, target: RolloutTarget) -> AsyncIterator[RolloutSnapshot]:
        """Snapshots of a rollout the command started: the first at once, then on every change,
        the last with `finished` set. Raises the gateway's errors (the front door shows them)."""
        from klepaas.k8s.rollout import follow_rollout  # the kubernetes client loads only when needed

        gateway = self.clusters.get(target.cluster)
        async for snapshot in follow_rollout(
            gateway, target.namespace, target.name, timeout=self.settings.kube.rollout_timeout_seconds
        ):
            yield snapshot

    def planning_context(
        self, actor: Actor, previous: Plan | None = None, app_names: list[str] | None = None
    ) -> PlanningContext:
        binding = self.bindings.for_actor(actor) or ChannelBinding()
        return PlanningContext(
            namespaces=list(binding.namespaces),
            default_namespace=binding.default_namespace,
            app_names=list(app_names or []),
            previous=previous,
        )

    def app_name_scope(self, actor: Actor) -> list[str]:
        """The namespaces whose apps the planner is told about: the channel's bound namespaces,
        else the default namespace and the staging and production namespaces of the settings."""
        bound = [ns for ns in self._binding(actor).namespaces if ns != ALL_NAMESPACES]
        if bound:
            return bound
        kube = self.settings.kube
        return list(dict.fromkeys([DEFAULT_NAMESPACE, kube.staging_namespace, kube.production_namespace]))

    async def _planning_context(self, attempt: _Attempt) -> PlanningContext:
        actor, request = attempt.actor, attempt.request
        cluster = request.cluster or self._binding(actor).cluster
        names = await self.app_names.names(cluster, self.app_name_scope(actor))
        previous = request.previous
        if previous is None and request.conversation and self.conversations is not None:
            previous = await self.conversations.previous(request.conversation)
        return self.planning_context(actor, previous, names)

    async def _remember(self, attempt: _Attempt) -> None:
        """The plan is run or put to an approver: it is the conversation's last plan from now on."""
        key = attempt.request.conversation
        if key and attempt.plan is not None and self.conversations is not None:
            await self.conversations.remember(key, attempt.plan, attempt.namespace)

    # -- the steps -------------------------------------------------------------------------------

    async def _handle(self, attempt: _Attempt, approver: Approver | None) -> Result:
        planned = await self._plan(attempt)
        if planned is not None:  # a question back, not a command: recorded as an attempt too
            await self._audit_question(attempt, planned)
            return planned
        assert attempt.spec is not None and attempt.args is not None and attempt.plan is not None
        spec, lang = attempt.spec, attempt.lang
        self._resolve_scope(attempt)
        decision = self.policy.decide(attempt.actor, spec, attempt.args, attempt.namespace, attempt.cluster)
        attempt.decision = decision

        if decision.action is Action.DENY:
            await self._open_audit(attempt)
            await self._audit_finish(attempt, AuditOutcome.REFUSED, error=decision.reason)
            return Result(
                command=spec.name,
                status="error",
                summary=localized(
                    lang,
                    f"Not allowed: {decision.reason}",
                    f"허용되지 않음: {policy_reason(decision.reason, lang)}",
                ),
                blocks=[Context(text=f"policy rule: {decision.rule}")],
                data={"error": "forbidden", "rule": decision.rule},
            )

        context = self._context(attempt)
        if decision.action is Action.REQUIRE_APPROVAL:
            refused = await self._approve(attempt, approver, context)
            if refused is not None:
                return refused
            result = await spec.run(context, attempt.args)
        else:
            attempt.approval = Approval(required=False)
            await self._remember(attempt)
            if spec.risk is Risk.READ:  # nothing to change: read while the attempt's row is written
                result = await self._alongside_audit_begin(attempt, spec.run(context, attempt.args))
            else:  # the row is committed before anything changes
                await self._open_audit(attempt)
                result = await spec.run(context, attempt.args)
        # A restart, scale, rollback or deploy leaves a deployment-history row (success or failure),
        # written in the same trip to storage as the audit row's completion.
        deployment = deployment_fields(spec, attempt.args, result, attempt.cluster)
        # A read's completion is written behind its answer (see `_audit_finish`); a change's is
        # committed before the user is told it was made.
        behind = spec.risk is Risk.READ
        if result.ok:
            if spec.starts_rollout:
                attempt.rollout = _rollout_target(result, attempt.cluster)
            await self._audit_finish(
                attempt, AuditOutcome.SUCCESS, summary=result.summary, deployment=deployment, behind=behind
            )
        else:
            await self._audit_finish(
                attempt, AuditOutcome.FAILURE, error=result.summary, deployment=deployment, behind=behind
            )
        return result

    async def _plan(self, attempt: _Attempt) -> Result | None:
        """Fill attempt.plan/spec/args; return a Result only when the answer is a question."""
        request = attempt.request
        if request.command is not None:
            spec = self._spec(request.command)
            args = validate_args(spec, dict(request.args))
            attempt.plan = Plan(
                command=spec.name,
                args=args.model_dump(mode="json", exclude_unset=True),
                source="direct",
                lang=attempt.lang,
            )
            attempt.spec, attempt.args, attempt.cluster = spec, args, request.cluster
            return None

        # "/klepaas status nginx" typed where Slack does not take it as the slash command (a thread,
        # the console): the command is what follows.
        text = _SLASH_COMMAND.sub("", (request.text or "").strip(), count=1).strip()
        if not text:
            raise UserError(
                localized(
                    attempt.lang,
                    "Say what you want to do, or type `help`.",
                    "무엇을 할지 말해 주세요. `help`로 명령 목록을 볼 수 있습니다.",
                )
            )
        structured, usage_error = self._parse_structured(text)
        if structured is not None:
            attempt.plan, attempt.spec, attempt.args = structured.plan, structured.spec, structured.args
            attempt.cluster = request.cluster or structured.cluster
            return None
        if self.planner is None:
            if usage_error is not None:
                raise usage_error
            raise UserError(
                localized(
                    attempt.lang,
                    f"Unknown command: {shown(text.split()[0])}",
                    f"알 수 없는 명령: {shown(text.split()[0])}",
                ),
                hint="type `help` for the commands",
            )
        answer = await self.planner.plan(text, await self._planning_context(attempt))
        if isinstance(answer, Clarify):
            if usage_error is not None:  # it looked like a command; its usage helps more than a question
                raise usage_error
            attempt.clarify = answer
            if request.lang is None:
                attempt.lang = answer.lang
            return Result(
                command="clarify", status="info", summary=answer.question, data={"clarify": answer.question}
            )
        if request.lang is None:
            attempt.lang = answer.lang
        spec = self._spec(answer.command)
        _check_typed_name(text, answer, spec, usage_error)
        attempt.plan, attempt.spec = answer, spec
        attempt.args = validate_args(spec, dict(answer.args))
        attempt.cluster = request.cluster
        return None

    def _parse_structured(self, text: str) -> tuple[Structured | None, UsageError | None]:
        """The grammar's reading of `text`. A usage error on text that reads like prose (no options,
        no key=value) is returned rather than raised, so the planner may still understand it."""
        try:
            return self.grammar.parse(text), None
        except UsageError as exc:
            if any(token.startswith("-") or "=" in token for token in text.split()[1:]):
                raise
            return None, exc

    def _spec(self, name: str) -> CommandSpec[Any]:
        try:
            return self.registry.get(name)
        except UnknownCommand:
            raise UserError(f"Unknown command: {name}", hint="type `help` for the commands") from None

    def _binding(self, actor: Actor) -> ChannelBinding:
        return self.bindings.for_actor(actor) or ChannelBinding()

    def _resolve_scope(self, attempt: _Attempt) -> None:
        """Default the namespace (channel binding, else `default`) and the cluster; check `*`."""
        assert attempt.spec is not None and attempt.args is not None
        spec, args = attempt.spec, attempt.args
        binding = self._binding(attempt.actor)
        attempt.cluster = attempt.cluster or binding.cluster
        fields = spec.args_model.model_fields
        if "namespace" not in fields:
            return
        namespace = getattr(args, "namespace", None)
        lists_things = "name" not in fields
        if namespace == ALL_NAMESPACES and not (lists_things or spec.finds_namespace):
            raise UsageError(
                f"{spec.name} works on one namespace; all namespaces ('*' / -n all) is for list commands",
                spec,
            )
        if namespace is None:
            if spec.name in _ALL_NAMESPACES_BY_DEFAULT:  # the command covers all (or all bound) namespaces
                attempt.namespace = None
                return
            namespace = binding.default_namespace or DEFAULT_NAMESPACE
            attempt.args = args.model_copy(update={"namespace": namespace})
        attempt.namespace = namespace

    async def _approve(
        self, attempt: _Attempt, approver: Approver | None, context: CommandContext
    ) -> Result | None:
        """Run the preview, ask the approver; return a Result when the command must not run.
        The preview runs in the `context` the command will run in: what it read (`observed`) may
        spare the run a read."""
        assert attempt.spec is not None and attempt.args is not None and attempt.decision is not None
        spec, lang = attempt.spec, attempt.lang
        if approver is None:
            attempt.approval = Approval(required=True)
            await self._open_audit(attempt)
            await self._audit_finish(attempt, AuditOutcome.REFUSED, error="approval required, no approver")
            raise Forbidden(
                localized(
                    lang,
                    f"{spec.name} needs an approval here: {attempt.decision.reason}",
                    f"{spec.name} 명령은 승인이 필요합니다: {attempt.decision.reason}",
                ),
                hint="ask where approvals can be given (Slack, or the console with confirmation)",
            )
        preview: Result | None = None
        if spec.preview is None:
            await self._open_audit(attempt)
        else:  # the dry run changes nothing: it runs while the attempt's row is written
            preview = await self._alongside_audit_begin(attempt, spec.preview(context, attempt.args))
            if not preview.ok:  # the dry run already fails: the real thing would too
                attempt.approval = Approval(required=True, preview=preview)
                await self._audit_finish(attempt, AuditOutcome.FAILURE, error=preview.summary)
                return preview
        # An approver that answers at once without asking anyone (the console's `--yes`) leaves no
        # time between the preview and the approval for the target to change: no approval can go
        # stale, so the target is not read before asking, nor again after (two GETs saved).
        answers_at_once = bool(getattr(approver, "answers_at_once", False))
        state = None if answers_at_once else await self._target_state(attempt)
        if preview is not None and state is not None:  # what the approval is granted against
            preview = preview.model_copy(update={"data": {**preview.data, "target_state": state}})
        await self._remember(attempt)
        answer = await approver.confirm(attempt.actor, spec, attempt.args, preview)
        if isinstance(answer, bool):
            answer = ApprovalAnswer(approved=answer, approver=attempt.actor.id if answer else None)
        attempt.approval = Approval(
            required=True, approved=answer.approved, approver=answer.approver, preview=preview
        )
        if answer.approved:
            return await self._refuse_if_stale(attempt, answer.approved_state or state)
        await self._audit_finish(attempt, AuditOutcome.CANCELLED, approver=answer.approver)
        return Result(
            command=spec.name,
            status="info",
            summary=localized(
                lang, "Cancelled; nothing was changed.", "취소했습니다. 아무것도 바뀌지 않았습니다."
            ),
            data={"cancelled": True},
        )

    def _context(self, attempt: _Attempt) -> CommandContext:
        return CommandContext(
            settings=self.settings,
            clusters=self.clusters,
            registry=self.registry,
            actor=attempt.actor,
            lang=attempt.lang,
            cluster=attempt.cluster,
            allowed_namespaces=list(self._binding(attempt.actor).namespaces),
            storage=self.storage,
            identity=attempt.decision.identity if attempt.decision else None,
            policy=self.policy,
        )

    async def _refuse_if_stale(self, attempt: _Attempt, approved: Mapping[str, Any] | None) -> Result | None:
        """An approval is for the deployment as previewed: if it changed since, refuse (nothing runs)."""
        assert attempt.spec is not None and attempt.args is not None
        if approved is None:
            return None
        now = await self._target_state(attempt)
        reason = stale_reason(str(getattr(attempt.args, "name", "")), approved, now or {})
        if reason is None:
            return None
        message = localized(
            attempt.lang,
            f"Not run: the approval is stale — {reason}. Nothing was changed; ask again for a fresh preview.",
            f"실행하지 않음: 미리보기 이후 대상이 바뀌었습니다 — {reason}. 다시 요청하세요.",
        )
        await self._audit_finish(attempt, AuditOutcome.REFUSED, error=f"stale approval: {reason}")
        return Result(
            command=attempt.spec.name,
            status="error",
            summary=message,
            blocks=[Context(text="policy rule: stale-approval")],
            data={"error": "stale_approval", "rule": "stale-approval", "reason": reason},
        )

    async def _target_state(self, attempt: _Attempt) -> dict[str, Any] | None:
        assert attempt.spec is not None and attempt.args is not None
        if attempt.spec.target_state is None:
            return None
        return await attempt.spec.target_state(self._context(attempt), attempt.args)

    async def _audit_question(self, attempt: _Attempt, question: Result) -> None:
        """A request answered with a question is an attempt too: one row, finished at once."""
        await self._open_audit(attempt)
        await self._audit_finish(attempt, AuditOutcome.REFUSED, error=f"clarify: {question.summary}")

    # -- audit -----------------------------------------------------------------------------------
    #
    # Every attempt's row is committed before its answer is returned, and before anything is
    # changed. Work that changes nothing (a read command, a dry-run preview) runs while the row is
    # being written rather than after it. A read command's completion (outcome, duration, history)
    # is written behind its answer: the user does not wait for it, the process's readers of the
    # audit log do (`PendingWrites`), `drain` awaits it at shutdown, and a crash in between leaves
    # the row pending, marked interrupted at the next start. A change's completion is awaited.
    # On a SQLite file the awaited writes are made on the loop when the database takes them at
    # once (`Storage.transaction_at_once`); when another writer holds it, in a thread as before.

    async def _open_audit(self, attempt: _Attempt) -> None:
        attempt.audit_id = await self._audit_begin(attempt)
        attempt.audit_open = True

    async def _alongside_audit_begin(self, attempt: _Attempt, work: Awaitable[T]) -> T:
        """Await `work`, which changes nothing, while the attempt's row is written; return once
        both are done. When the work fails, its error is the one raised (the row is open to record
        it); when the row cannot be written, that error is."""
        begin = self._start_audit_begin(attempt)
        try:
            done = await work
        except BaseException:
            with contextlib.suppress(Exception):
                attempt.audit_id = await begin
                attempt.audit_open = True
            raise
        attempt.audit_id = await begin
        attempt.audit_open = True
        return done

    async def _audit_begin(self, attempt: _Attempt) -> int:
        return await self._start_audit_begin(attempt)

    def _start_audit_begin(self, attempt: _Attempt) -> asyncio.Future[int]:
        """The attempt's row: written here and now if the database takes it without waiting (a
        SQLite file no one else is writing: cheaper than a trip to a thread, see
        `Storage.transaction_at_once`), else handed to a storage thread at once and counted as
        pending until it is written: a read of the audit log made meanwhile (the `audit`
        command's own) waits for it."""
        loop = asyncio.get_running_loop()
        if self.storage.writes_at_once:
            written: asyncio.Future[int] = loop.create_future()
            try:
                with self.storage.transaction_at_once() as connection:
                    audit_id = self._audit_begin_now(attempt, connection)
                written.set_result(audit_id)
                return written
            except WouldWait:
                pass
            except KlepaasError as exc:
                written.set_exception(exc)
                return written
        pending = self.storage.pending
        pending.add()

        def begin() -> int:
            try:
                return self._audit_begin_now(attempt)
            finally:
                pending.done()

        return loop.run_in_executor(None, begin)

    def _audit_begin_now(self, attempt: _Attempt, connection: WriteConnection | None = None) -> int:
        """The attempt's row: the one begun when the request was accepted, else a new one."""
        accepted = attempt.request.audit_id
        if accepted is not None:
            return self.storage.audit.fill(accepted, **_audit_fields(attempt), connection=connection)
        return self.storage.audit.begin(**_audit_fields(attempt), connection=connection)

    async def _audit_finish(
        self,
        attempt: _Attempt,
        outcome: AuditOutcome,
        *,
        error: str | None = None,
        approver: str | None = None,
        summary: str = "",
        deployment: dict[str, Any] | None = None,
        behind: bool = False,
    ) -> None:
        """Complete the attempt's row (and its history and deployment rows); with `behind`, in the
        background (see above)."""
        if attempt.audit_id is None or not attempt.audit_open:
            return
        attempt.audit_open = False
        audit_id, actor, plan = attempt.audit_id, attempt.actor, attempt.plan
        approver = approver or (attempt.approval.approver if attempt.approval else None)
        arguments = _arguments(attempt)

        def rows(connection: WriteConnection) -> None:  # every row, in one transaction
            self.storage.audit.complete(
                audit_id, outcome=outcome, approver=approver, error=error, connection=connection
            )
            if deployment is not None:
                self.deployments.record(
                    **deployment,
                    trigger=actor.source,
                    actor_id=actor.id,
                    audit_id=audit_id,
                    connection=connection,
                )
            if outcome is AuditOutcome.SUCCESS and plan is not None:
                self.storage.history.record(
                    actor_id=actor.id,
                    source=actor.source,
                    command=plan.command,
                    arguments=arguments,
                    audit_id=audit_id,
                    workspace=actor.workspace,
                    channel=actor.channel,
                    namespace=attempt.namespace,
                    cluster=attempt.cluster,
                    summary=summary,
                    connection=connection,
                )

        def write() -> None:  # in one trip to a storage thread
            with self.storage.transaction() as connection:
                rows(connection)

        if behind:
            self._write_behind(write)
        else:
            await self.storage.write(rows)

    def _write_behind(self, write: Callable[[], None]) -> None:
        pending = self.storage.pending
        pending.add()  # before the thread starts: a read from now on waits for this write

        def run() -> None:
            try:
                write()
            finally:
                pending.done()

        # Handed to a thread now, not when a task first runs: a reader waiting for it (maybe on
        # this very loop) must not wait for the loop.
        task = asyncio.get_running_loop().run_in_executor(None, run)
        self._behind.add(task)
        task.add_done_callback(self._written_behind)

    def _written_behind(self, task: asyncio.Future[None]) -> None:
        self._behind.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not complete an audit row", error=str(task.exception()))

    async def drain(self) -> None:
        """Wait for the audit writes still going on behind answers (at shutdown)."""
        while self._behind:
            await asyncio.gather(*self._behind, return_exceptions=True)

    async def _close_after_error(self, attempt: _Attempt, outcome: AuditOutcome, error: str) -> None:
        """Record a failed attempt: finish its open row, or write one if it failed before the audit began."""
        try:
            if attempt.audit_id is None:
                await self._open_audit(attempt)
            await self._audit_finish(attempt, outcome, error=error)
        except KlepaasError as exc:  # the user already gets the first error; do not hide it behind this one
            log.warning("could not record the failed attempt in the audit log", error=str(exc))

    def _close_cancelled(self, attempt: _Attempt) -> None:
        """The task was cancelled (shutdown, Ctrl-C) mid-way: mark the open row interrupted, synchronously;
        cancelled before its row was written (still planning), it gets one: nothing accepted is lost."""
        if attempt.audit_id is not None and not attempt.audit_open:
            return
        attempt.audit_open = False
        try:
            if attempt.audit_id is None:
                attempt.audit_id = self._audit_begin_now(attempt)
            self.storage.audit.finish(attempt.audit_id, outcome=AuditOutcome.INTERRUPTED, error="cancelled")
        except KlepaasError as exc:
            log.warning("could not mark the interrupted attempt in the audit log", error=str(exc))


_SLASH_COMMAND = re.compile(r"^/klepaas(?:\s+|$)", re.IGNORECASE)

# A word the user typed as a name: latin letters and digits, with "_", "." or "-" inside.
_NAME_LIKE = re.compile(r"[a-z0-9][a-z0-9_.\-]*[a-z0-9]", re.IGNORECASE)


def _check_typed_name(text: str, plan: Plan, spec: CommandSpec[Any], usage_error: UsageError | None) -> None:
    """A plan must not shorten a name the user typed: "restart my_app" is not "restart my" (nor
    "restart app"), whatever the planner made of the underscore. Such a word is no valid
    Kubernetes name, so the answer is why, not a plan for a different app."""
    name = plan.args.get("name")
    if not isinstance(name, str) or not name:
        return
    for word in _NAME_LIKE.findall(text):
        typed = word.lower()
        if "_" in typed and typed != name and name in re.split(r"[_.\-]", typed):
            if usage_error is not None and usage_error.problem.startswith("name:"):
                raise usage_error  # the grammar's own words for it, with the word as typed
            raise UsageError(f"name: {invalid_name_reason(typed)}", spec)


def _rollout_target(result: Result, cluster: str | None) -> RolloutTarget | None:
    """The rollout a command says it started (`data["rollout"]`: cluster, namespace, name), if any.
    The command knows best: its app may come from a repo or an image rather than the arguments,
    and a change that changed nothing starts no rollout."""
    named = result.data.get("rollout")
    if not isinstance(named, Mapping):
        return None
    namespace, name = named.get("namespace"), named.get("name")
    if not (isinstance(namespace, str) and namespace and isinstance(name, str) and name):
        return None
    target_cluster = named.get("cluster")
    return RolloutTarget(target_cluster if isinstance(target_cluster, str) else cluster, namespace, name)


def _arguments(attempt: _Attempt) -> dict[str, Any]:
    if attempt.args is not None:
        return attempt.args.model_dump(mode="json", exclude_none=True)
    return dict(attempt.request.args)


def _audit_fields(attempt: _Attempt) -> dict[str, Any]:
    actor, request = attempt.actor, attempt.request
    return {
        "actor_id": actor.id,
        "source": actor.source,
        "workspace": actor.workspace,
        "channel": actor.channel,
        "text": request.text,
        "command": attempt.command,
        "arguments": _arguments(attempt),
        "namespace": attempt.namespace,
        "cluster": attempt.cluster,
        "plan_source": attempt.plan.source if attempt.plan else None,
        "decision": attempt.decision.action.value if attempt.decision else None,
        "rule": attempt.decision.rule if attempt.decision else None,
    }
