"""Which revision of a deployment was live at a moment: the evidence, or a refusal.

Revision numbers only grow, and each number is given when a template becomes current. So the
revision live at T is the one whose number was given last at or before T. When each number was
given:

- the first number of a ReplicaSet: its `creationTimestamp` (a new template is a new ReplicaSet).
  Kubernetes keeps it to the second, so it stands for [t, t + 1 s); a klepaas deploy or restart
  in the deployment log in that second (and the only one) gives the exact time;
- a later number of the same ReplicaSet (`rollout undo` re-uses it: the number grows, the
  creationTimestamp does not; the older numbers are kept in `deployment.kubernetes.io/revision-
  history`): only the klepaas deployment log knows, from the rollback row naming the number the
  ReplicaSet had before. A rollback made outside klepaas leaves no such row: its time is unknown.

When a number between the last one surely given before T and the first one surely given after it
has an unknown time, belongs to a ReplicaSet that is gone (revisionHistoryLimit), or was given
within a second of T, nothing says reliably what was live at T: `LiveAtUnknown` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from klepaas.k8s.models import Deployment, ReplicaSet
from klepaas.storage.policy_store import DeploymentEntry

REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Became:
    """Revision `number` (the template of `rs`) became current between `earliest` and `latest`."""

    number: int
    rs: ReplicaSet
    earliest: datetime | None = None
    latest: datetime | None = None
    entry: DeploymentEntry | None = None  # the deployment-log row that dates it, if any

    @property
    def dated(self) -> bool:
        return self.earliest is not None and self.latest is not None


@dataclass(frozen=True)
class LiveAt:
    event: Became  # when the live revision became current
    replaced: Became | None  # the next change after the moment, if any


class LiveAtUnknown(Exception):
    """Nothing tells reliably which revision was live: `reason` (en, ko) says why."""

    def __init__(self, en: str, ko: str) -> None:
        super().__init__(en)
        self.en, self.ko = en, ko


def numbers_of(rs: ReplicaSet) -> list[int]:
    """Every revision number the ReplicaSet has had, oldest first."""
    numbers = {rs.revision} if rs.revision is not None else set()
    for part in rs.meta.annotations.get(REVISION_HISTORY_ANNOTATION, "").split(","):
        if part.strip().isdigit():
            numbers.add(int(part))
    return sorted(numbers)


def timeline(d: Deployment, history: Sequence[ReplicaSet], log: Sequence[DeploymentEntry]) -> list[Became]:
    """Every revision number still known, oldest first, dated where the evidence allows."""
    born = d.meta.created
    rows = [e for e in log if e.outcome == "success" and (born is None or e.at >= born)]
    events: list[Became] = []
    for rs in history:
        numbers = numbers_of(rs)
        for index, number in enumerate(numbers):
            if index == 0:
                events.append(_first(number, rs, rows))
            else:
                events.append(_reused(number, numbers[index - 1], rs, rows))
    return sorted(events, key=lambda e: e.number)


def _first(number: int, rs: ReplicaSet, rows: Sequence[DeploymentEntry]) -> Became:
    created = rs.meta.created
    if created is None:
        return Became(number, rs)
    same_second = [
        e
        for e in rows
        if e.command in ("deploy", "restart")
        and created <= e.at < created + 2 * _SECOND
        and (e.command == "restart" or (e.image_after or "") in rs.template.images)
    ]
    if len(same_second) == 1:
        entry = same_second[0]
        return Became(number, rs, entry.at - _SECOND, entry.at, entry)
    return Became(number, rs, created, created + _SECOND)


def _reused(number: int, before: int, rs: ReplicaSet, rows: Sequence[DeploymentEntry]) -> Became:
    """A number given by a rollback to `rs`, which had number `before`: dated by its log row."""
    found = [e for e in rows if e.command == "rollback" and e.revision == before]
    if len(found) == 1:
        entry = found[0]
        # the row is written right after the change: the change happened just before it
        return Became(number, rs, entry.at - _SECOND, entry.at, entry)
    return Became(number, rs)


def live_at(moment: datetime, d: Deployment, events: Sequence[Became]) -> LiveAt:
    """The revision live at `moment`, or LiveAtUnknown."""
    if d.meta.created is not None and moment < d.meta.created:
        stamp = _stamp(d.meta.created)
        raise LiveAtUnknown(
            f"{d.name} did not exist yet at {_stamp(moment)} (created {stamp}).",
            f"{_stamp(moment)}에는 {d.name}이(가) 아직 없었습니다 (생성: {stamp}).",
        )
    by_number = {e.number: e for e in events}
    before = [e for e in events if e.dated and e.latest is not None and e.latest <= moment]
    chosen = before[-1] if before else None
    after = [
        e for e in events
        if e.dated and e.earliest is not None and e.earliest > moment
        and (chosen is None or e.number > chosen.number)
    ]
    replaced = after[0] if after else None
    low = chosen.number + 1 if chosen is not None else 1
    high = replaced.number if replaced is not None else max([*by_number, d.revision or 0]) + 1
    unsure = list(range(low, high))
    if unsure:
        raise _unknown(moment, d, [by_number.get(n) for n in unsure], unsure)
    if chosen is None:
        raise LiveAtUnknown(
            f"No revision of {d.name} is known to have been live at {_stamp(moment)}.",
            f"{_stamp(moment)}에 실행 중이던 {d.name}의 리비전을 알 수 없습니다.",
        )
    return LiveAt(chosen, replaced)


def _unknown(
    moment: datetime, d: Deployment, found: list[Became | None], numbers: list[int]
) -> LiveAtUnknown:
    when = _stamp(moment)
    listed = ", ".join(str(n) for n in numbers)
    if any(e is None for e in found):
        return LiveAtUnknown(
            f"The revision of {d.name} live at {when} is no longer kept, or cannot be told apart "
            f"(revision {listed}: its ReplicaSet is gone).",
            f"{when}에 실행 중이던 {d.name}의 리비전은 더 이상 남아 있지 않거나 특정할 수 없습니다 "
            f"(리비전 {listed}: ReplicaSet이 삭제됨).",
        )
    if any(not e.dated for e in found if e is not None):
        return LiveAtUnknown(
            f"Cannot tell which revision of {d.name} was live at {when}: revision {listed} came from "
            "a rollback whose time is not recorded (made outside klepaas, or before its log).",
            f"{when}에 실행 중이던 {d.name}의 리비전을 확실히 알 수 없습니다: 리비전 {listed}은(는) "
            "시각이 기록되지 않은 롤백으로 생겼습니다 (klepaas 밖에서, 또는 기록 이전에 실행됨).",
        )
    return LiveAtUnknown(
        f"{when} is within a second of a change to {d.name} (revision {listed}): give a time a little "
        "earlier or later.",
        f"{when}은(는) {d.name}의 변경(리비전 {listed}) 시각과 1초 이내입니다: "
        "조금 앞이나 뒤의 시각을 주세요.",
    )


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value.utcoffset() == timedelta(0) else value.isoformat()
