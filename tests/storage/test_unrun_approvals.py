"""An approval approved but never run (the bot stopped between the click and the run) is closed
as failed once its run would have finished, so it is shown as not run rather than left approved."""

from __future__ import annotations

from klepaas.storage import Storage
from klepaas.storage.approvals import Approvals, ApprovalStatus


def _approved(approvals: Approvals, decided_at: float) -> str:
    entry = approvals.create(
        command="restart",
        arguments={"name": "api"},
        plan_text="restart api",
        preview=None,
        risk="write",
        namespace="staging",
        cluster=None,
        requester="U0ALICE",
        workspace="T0",
        channel="C0OPS",
        thread_ts=None,
        lang="en",
        self_approve=False,
        ttl_seconds=600,
        now=decided_at - 1,
    )
    assert approvals.decide(entry.id, approve=True, decided_by="U0BOB", now=decided_at)
    return entry.id


def test_only_approvals_left_unfinished_past_the_cutoff_are_closed(database_url: str) -> None:
    storage = Storage.open(database_url)
    try:
        approvals = Approvals(storage.engine)
        stuck = _approved(approvals, decided_at=1_000.0)
        recent = _approved(approvals, decided_at=2_000.0)
        done = _approved(approvals, decided_at=1_000.0)
        assert approvals.finish(done, ok=True, outcome="restarted")

        closed = approvals.abandon_unrun(1_500.0, "not run")

        assert [e.id for e in closed] == [stuck]
        assert closed[0].status is ApprovalStatus.FAILED
        assert [approvals.get(i).status for i in (recent, done)] == [  # type: ignore[union-attr]
            ApprovalStatus.APPROVED,
            ApprovalStatus.EXECUTED,
        ]
        assert approvals.abandon_unrun(1_500.0, "not run") == []  # once
    finally:
        storage.close()
