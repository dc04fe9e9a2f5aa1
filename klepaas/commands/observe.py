"""What one pipeline Outcome adds to the metrics: the planner's decision, the command and how it
ended, a deployment that ran, an approval that was asked for."""

from __future__ import annotations

from klepaas.commands.request import Outcome
from klepaas.metrics import metrics

# Commands that change what runs: counted as deployments when they ran.
DEPLOYMENT_COMMANDS = frozenset({"deploy", "rollback"})


def command_outcome(outcome: Outcome) -> str:
    """success | error | refused | cancelled | clarify."""
    if outcome.clarify is not None:
        return "clarify"
    if outcome.decision is not None and outcome.decision.denied:
        return "refused"
    approval = outcome.approval
    if approval is not None and approval.required and approval.approved is False:
        return "cancelled"
    return "success" if outcome.ok else "error"


def record_outcome(outcome: Outcome) -> None:
    recorder = metrics()
    if outcome.plan is not None:
        recorder.planner_decisions.labels(outcome.plan.source).inc()
    elif outcome.clarify is not None:
        recorder.planner_decisions.labels("clarify").inc()
    command = outcome.plan.command if outcome.plan is not None else outcome.result.command
    result = command_outcome(outcome)
    recorder.commands.labels(command, result).inc()
    approval = outcome.approval
    if approval is not None and approval.required:
        decision = {True: "approved", False: "denied", None: "unanswered"}[approval.approved]
        recorder.approvals.labels(decision).inc()
    ran = approval is None or not approval.required or bool(approval.approved)
    if command in DEPLOYMENT_COMMANDS and result in ("success", "error") and ran:
        recorder.deployments.labels(command, result).inc()
