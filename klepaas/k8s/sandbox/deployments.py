"""The Deployment controller: template -> ReplicaSet (one per distinct template), rollouts
(RollingUpdate with maxSurge/maxUnavailable, Recreate), revisions and history, status and
conditions — following kube-controller-manager's deployment controller closely enough that
`kubectl rollout status|history|undo|restart` behave as on a real cluster."""

from __future__ import annotations

import json
import math
from typing import Any

from klepaas.k8s.sandbox import events as ev
from klepaas.k8s.sandbox.context import (
    DEPLOYMENT,
    REPLICASET,
    Context,
    parse_rfc3339,
    rfc3339,
    write_status,
)
from klepaas.k8s.sandbox.replicasets import owner_reference
from klepaas.k8s.sandbox.store import Key, Obj, StoreError, clone

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_NOT_COPIED = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS}
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_HISTORY_LIMIT = 10


# ---- templates and hashes -----------------------------------------------------------------
def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def normalized_template(template: Obj) -> Obj:
    """The pod template without the hash label and empty fields: equal templates compare equal."""
    template = clone(template)
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    pruned: Obj = _prune(template)
    return pruned


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def template_hash(template: Obj, collision_count: int = 0) -> str:
    """Like ComputeHash: FNV-32a of the template (plus collisionCount), digits through SafeEncodeString."""
    data = json.dumps(normalized_template(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += collision_count.to_bytes(4, "little")
    return "".join(_SAFE_ALPHABET[ord(ch) % len(_SAFE_ALPHABET)] for ch in str(_fnv32a(data)))


# ---- numbers ------------------------------------------------------------------------------
def int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    if value is None:
        value = "25%"
    if isinstance(value, str) and value.endswith("%"):
        scaled = float(value[:-1]) * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(value)


def fenceposts(d: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as the controller resolves them: surge rounds up, unavailable
    down, and both zero becomes unavailable 1."""
    replicas = spec_replicas(d)
    rolling = ((d["spec"].get("strategy") or {}).get("rollingUpdate")) or {}
    surge = int_or_percent(rolling.get("maxSurge"), replicas, round_up=True)
    unavailable = int_or_percent(rolling.get("maxUnavailable"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def spec_replicas(obj: Obj) -> int:
    value = obj["spec"].get("replicas")
    return 1 if value is None else int(value)


def revision(rs: Obj) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _status(rs: Obj, field: str) -> int:
    return int((rs.get("status") or {}).get(field) or 0)


def _available(rs: Obj) -> int:
    return min(_status(rs, "availableReplicas"), spec_replicas(rs))


def _created(rs: Obj) -> tuple[float, str]:
    return parse_rfc3339(rs["metadata"].get("creationTimestamp")) or 0.0, rs["metadata"]["name"]


def _condition(status: Obj, kind: str) -> Obj | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


class DeploymentController:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._progress_at: dict[str, float] = {}  # deployment uid -> last progress (precise)
        self._templates: dict[str, tuple[int, Obj]] = {}  # replica set uid -> (generation, normalized)

    def forget(self, uid: str) -> None:
        """A deployment or replica set with this uid is gone."""
        self._progress_at.pop(uid, None)
        self._templates.pop(uid, None)

    def _normalized(self, rs: Obj) -> Obj:
        meta = rs["metadata"]
        generation = int(meta.get("generation") or 0)
        cached = self._templates.get(meta["uid"])
        if cached is None or cached[0] != generation:
            cached = (generation, normalized_template(rs["spec"].get("template") or {}))
            self._templates[meta["uid"]] = cached
        return cached[1]

    # ---- reading -----------------------------------------------------------------------
    def replicasets_of(self, d: Obj) -> list[Obj]:
        ns = d["metadata"]["namespace"]
        found = []
        for key in self.ctx.index.replicasets.of(d["metadata"]["uid"]):
            rs = self.ctx.store.find(REPLICASET, *key)
            if rs is not None and key[0] == ns and not rs["metadata"].get("deletionTimestamp"):
                found.append(rs)
        return sorted(found, key=_created)

    def new_replicaset(self, d: Obj, rss: list[Obj]) -> Obj | None:
        """The replica set whose pod template is the deployment's (ignoring the hash label)."""
        wanted = normalized_template(d["spec"].get("template") or {})
        for rs in rss:  # oldest first, as the real controller picks
            if self._normalized(rs) == wanted:
                return rs
        return None

    # ---- the sync ----------------------------------------------------------------------
    def sync(self, key: Key) -> None:
        d = self.ctx.store.find(DEPLOYMENT, *key)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return
        rss = self.replicasets_of(d)
        new_rs = self.new_replicaset(d, rss)
        old = [rs for rs in rss if rs is not new_rs]
        created: str | None = None
        if d["spec"].get("paused"):
            if new_rs is not None:
                self._sync_new_annotations(d, new_rs, old)
            self._scale_paused(d, new_rs, old)
        elif (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            created = self._recreate(d, new_rs, old)
        else:
            created = self._rolling(d, new_rs, old)
        self._sync_status(key, created)

    def _rolling(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> str | None:
        replicas = spec_replicas(d)
        surge, unavailable = fenceposts(d)
        if new_rs is None:
            current = sum(spec_replicas(rs) for rs in old)
            count = min(max(replicas + surge - current, 0), replicas)
            created = self._create_new(d, old, count)
            return created["metadata"]["name"] if created is not None else None
        new_rs = self._sync_new_annotations(d, new_rs, old)
        # reconcileNewReplicaSet
        current_new = spec_replicas(new_rs)
        if current_new > replicas:
            self._scale(d, new_rs, replicas)
            return None
        if current_new < replicas:
            total = current_new + sum(spec_replicas(rs) for rs in old)
            room = replicas + surge - total
            if room > 0:
                self._scale(d, new_rs, current_new + min(room, replicas - current_new))
                return None
        # reconcileOldReplicaSets
        if self._scale_down_old(d, new_rs, old, unavailable):
            return None
        if self._complete(d, new_rs, old):
            self._cleanup(d, old)
        return None

    def _scale_down_old(self, d: Obj, new_rs: Obj, old: list[Obj], max_unavailable: int) -> bool:
        old_count = sum(spec_replicas(rs) for rs in old)
        if old_count == 0:
            return False
        replicas = spec_replicas(d)
        min_available = replicas - max_unavailable
        new_unavailable = spec_replicas(new_rs) - _available(new_rs)
        max_scaled_down = old_count + spec_replicas(new_rs) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        scaled = False
        # first the old pods that are not available anyway (cleanupUnhealthyReplicas)
        cleaned = 0
        sizes = {rs["metadata"]["name"]: spec_replicas(rs) for rs in old}
        for rs in old:
            name = rs["metadata"]["name"]
            if cleaned >= max_scaled_down or sizes[name] == 0:
                continue
            unhealthy = sizes[name] - _available(rs)
            if unhealthy <= 0:
                continue
            step = min(max_scaled_down - cleaned, unhealthy)
            sizes[name] -= step
            cleaned += step
            self._scale(d, rs, sizes[name])
            scaled = True
        # then available ones, as far as maxUnavailable allows (oldest replica sets first)
        available = sum(min(_available(rs), sizes[rs["metadata"]["name"]]) for rs in old) + _available(new_rs)
        budget = available - min_available
        for rs in old:
            name = rs["metadata"]["name"]
            if budget <= 0:
                break
            if sizes[name] == 0:
                continue
            step = min(sizes[name], budget)
            sizes[name] -= step
            budget -= step
            rs = self.ctx.store.find(REPLICASET, rs["metadata"]["namespace"], name) or rs
            self._scale(d, rs, sizes[name])
            scaled = True
        return scaled

    def _recreate(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> str | None:
        active = [rs for rs in old if spec_replicas(rs) > 0]
        if active:
            for rs in active:
                self._scale(d, rs, 0)
            return None
        if any(self.ctx.index.pods.of(rs["metadata"]["uid"]) for rs in old):
            return None  # wait until every old pod is gone
        if new_rs is None:
            created = self._create_new(d, old, spec_replicas(d))
            return created["metadata"]["name"] if created is not None else None
        new_rs = self._sync_new_annotations(d, new_rs, old)
        if spec_replicas(new_rs) != spec_replicas(d):
            self._scale(d, new_rs, spec_replicas(d))
        elif self._complete(d, new_rs, old):
            self._cleanup(d, old)
        return None

    def _scale_paused(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """A paused deployment still follows scale changes, but rolls nothing out."""
        active = [rs for rs in [*old, *([new_rs] if new_rs else [])] if spec_replicas(rs) > 0]
        target = new_rs if new_rs is not None else (active[-1] if active else None)
        if target is None or any(rs is not target for rs in active):
            return
        if spec_replicas(target) != spec_replicas(d):
            self._scale(d, target, spec_replicas(d))

    # ---- replica sets ------------------------------------------------------------------
    def _new_revision(self, old: list[Obj]) -> int:
        return max((revision(rs) for rs in old), default=0) + 1

    @staticmethod
    def _annotations_for(d: Obj, rs_annotations: dict[str, str], new_revision: int) -> dict[str, str]:
        """What SetNewReplicaSetAnnotations writes: the deployment's own annotations, the new
        revision (remembering the replaced one in revision-history), desired and max replicas."""
        annotations = dict(rs_annotations)
        for k, v in (d["metadata"].get("annotations") or {}).items():
            if k not in _NOT_COPIED:
                annotations[k] = v
        old_revision = annotations.get(REVISION)
        if old_revision is None or int(old_revision or 0) < new_revision:
            if old_revision:
                history = annotations.get(REVISION_HISTORY)
                annotations[REVISION_HISTORY] = f"{history},{old_revision}" if history else old_revision
            annotations[REVISION] = str(new_revision)
        surge, _ = fenceposts(d)
        annotations[DESIRED_REPLICAS] = str(spec_replicas(d))
        annotations[MAX_REPLICAS] = str(spec_replicas(d) + surge)
        return annotations

    def _create_new(self, d: Obj, old: list[Obj], replicas: int) -> Obj | None:
        meta = d["metadata"]
        status = d.get("status") or {}
        collisions = int(status.get("collisionCount") or 0)
        template = clone(d["spec"].get("template") or {})
        pod_hash = template_hash(template, collisions)
        tmeta = template.setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), HASH_LABEL: pod_hash}
        selector = clone(d["spec"].get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pod_hash}
        spec: Obj = {"replicas": replicas, "selector": selector, "template": template}
        if d["spec"].get("minReadySeconds"):
            spec["minReadySeconds"] = d["spec"]["minReadySeconds"]
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{pod_hash}",
                "namespace": meta["namespace"],
                "labels": dict(tmeta["labels"]),
                "annotations": self._annotations_for(d, {}, self._new_revision(old)),
                "ownerReferences": [owner_reference(d)],
            },
            "spec": spec,
        }
        try:
            created = self.ctx.store.create(REPLICASET, rs)
        except StoreError as error:
            if error.reason != "AlreadyExists":
                if error.code == 404:
                    return None
                raise
            self._bump_collisions(d, collisions + 1)
            return None
        self._set_deployment_revision(d, created)
        if replicas > 0:
            self._scaling_event(d, created, 0, replicas)
        return created

    def _bump_collisions(self, d: Obj, count: int) -> None:
        status = clone(d.get("status") or {})
        status["collisionCount"] = count
        write_status(self.ctx.store, DEPLOYMENT, d, status)

    def _sync_new_annotations(self, d: Obj, new_rs: Obj, old: list[Obj]) -> Obj:
        current = new_rs["metadata"].get("annotations") or {}
        wanted = self._annotations_for(d, current, self._new_revision(old))
        if wanted != current:
            meta = new_rs["metadata"]
            updated = self.ctx.store.get(REPLICASET, meta["namespace"], meta["name"])
            updated["metadata"]["annotations"] = wanted
            new_rs = self.ctx.store.replace(REPLICASET, updated, check_rv=False)
        self._set_deployment_revision(d, new_rs)
        return new_rs

    def _set_deployment_revision(self, d: Obj, rs: Obj) -> None:
        wanted = (rs["metadata"].get("annotations") or {}).get(REVISION)
        current = self.ctx.store.find(DEPLOYMENT, d["metadata"]["namespace"], d["metadata"]["name"])
        if current is None or wanted is None:
            return
        if (current["metadata"].get("annotations") or {}).get(REVISION) != wanted:
            updated = clone(current)
            updated["metadata"].setdefault("annotations", {})[REVISION] = wanted
            self.ctx.store.replace(DEPLOYMENT, updated, check_rv=False)

    def _scale(self, d: Obj, rs: Obj, replicas: int) -> None:
        updated = self.ctx.store.get(REPLICASET, rs["metadata"]["namespace"], rs["metadata"]["name"])
        before = spec_replicas(updated)
        updated["spec"]["replicas"] = replicas
        surge, _ = fenceposts(d)
        annotations = updated["metadata"].setdefault("annotations", {})
        annotations[DESIRED_REPLICAS] = str(spec_replicas(d))
        annotations[MAX_REPLICAS] = str(spec_replicas(d) + surge)
        self.ctx.store.replace(REPLICASET, updated, check_rv=False)
        if before != replicas:
            self._scaling_event(d, updated, before, replicas)

    def _scaling_event(self, d: Obj, rs: Obj, before: int, after: int) -> None:
        direction = "up" if after > before else "down"
        message = f"Scaled {direction} replica set {rs['metadata']['name']} from {before} to {after}"
        self.ctx.events.record(d, "ScalingReplicaSet", message, component=ev.DEPLOYMENT_CONTROLLER)

    def _complete(self, d: Obj, new_rs: Obj, old: list[Obj]) -> bool:
        replicas = spec_replicas(d)
        total = _status(new_rs, "replicas") + sum(_status(rs, "replicas") for rs in old)
        return _status(new_rs, "replicas") == replicas and total == replicas and \
            _status(new_rs, "availableReplicas") >= replicas

    def _cleanup(self, d: Obj, old: list[Obj]) -> None:
        """Delete the oldest unused replica sets beyond revisionHistoryLimit."""
        limit = d["spec"].get("revisionHistoryLimit")
        limit = DEFAULT_HISTORY_LIMIT if limit is None else int(limit)
        excess = len(old) - limit
        if excess <= 0:
            return
        for rs in sorted(old, key=lambda r: (revision(r), _created(r)))[:excess]:
            meta = rs["metadata"]
            if spec_replicas(rs) or _status(rs, "replicas") or self.ctx.index.pods.of(meta["uid"]):
                continue
            if self.ctx.store.find(REPLICASET, meta["namespace"], meta["name"]) is not None:
                self.ctx.store.delete(REPLICASET, meta["namespace"], meta["name"])

    # ---- status ------------------------------------------------------------------------
    def _sync_status(self, key: Key, created: str | None) -> None:
        d = self.ctx.store.find(DEPLOYMENT, *key)
        if d is None:
            return
        now = self.ctx.now()
        uid = d["metadata"]["uid"]
        rss = self.replicasets_of(d)
        new_rs = self.new_replicaset(d, rss)
        replicas = spec_replicas(d)
        _, max_unavailable = fenceposts(d)
        old_status = d.get("status") or {}
        available = sum(_status(rs, "availableReplicas") for rs in rss)
        status: Obj = {"observedGeneration": d["metadata"].get("generation", 1)}
        counts = {
            "replicas": sum(_status(rs, "replicas") for rs in rss),
            "updatedReplicas": _status(new_rs, "replicas") if new_rs is not None else 0,
            "readyReplicas": sum(_status(rs, "readyReplicas") for rs in rss),
            "availableReplicas": available,
            "unavailableReplicas": max(sum(spec_replicas(rs) for rs in rss) - available, 0),
        }
        status.update({k: v for k, v in counts.items() if v})
        if old_status.get("collisionCount"):
            status["collisionCount"] = old_status["collisionCount"]
        conditions = {c["type"]: dict(c) for c in old_status.get("conditions") or []}
        stamp = rfc3339(now)

        def put(kind: str, value: str, reason: str, message: str, *, progress: bool = False) -> None:
            current = conditions.get(kind)
            if current is not None and current.get("status") == value and current.get("reason") == reason \
                    and not progress:
                return
            transition = current["lastTransitionTime"] if current is not None and \
                current.get("status") == value else stamp
            conditions[kind] = {"type": kind, "status": value, "lastUpdateTime": stamp,
                                "lastTransitionTime": transition, "reason": reason, "message": message}

        if available >= replicas - max_unavailable:
            put("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            put("Available", "False", "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.")

        paused = bool(d["spec"].get("paused"))
        progressing = conditions.get("Progressing")
        if paused:
            if progressing is None or progressing.get("reason") != "DeploymentPaused":
                put("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
        elif progressing is not None and progressing.get("reason") == "DeploymentPaused":
            put("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
            self._progress_at[uid] = now
        deadline = d["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE)
        if not paused and new_rs is not None:
            name = new_rs["metadata"]["name"]
            if created is not None:
                put("Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{name}"')
                self._progress_at[uid] = now
            elif "Progressing" not in conditions:
                put("Progressing", "True", "FoundNewReplicaSet", f'Found new replica set "{name}"')
                self._progress_at[uid] = now
            complete = counts["updatedReplicas"] == replicas and counts["replicas"] == replicas and \
                available >= replicas
            if complete:
                put("Progressing", "True", "NewReplicaSetAvailable",
                    f'ReplicaSet "{name}" has successfully progressed.')
            elif self._made_progress(old_status, counts):
                put("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.',
                    progress=True)
                self._progress_at[uid] = now
            elif deadline is not None and self._timed_out(uid, conditions.get("Progressing"), deadline, now):
                put("Progressing", "False", "ProgressDeadlineExceeded",
                    f'ReplicaSet "{name}" has timed out progressing.')
            cond = conditions.get("Progressing")
            if not complete and deadline is not None and cond is not None and \
                    cond.get("reason") != "ProgressDeadlineExceeded":
                since = self._progress_at.get(uid) or parse_rfc3339(cond.get("lastUpdateTime")) or now
                self.ctx.schedule_at(since + float(deadline) + 0.01, "deployment", key)
        ordered = [conditions[k] for k in ("Available", "Progressing", "ReplicaFailure") if k in conditions]
        status["conditions"] = ordered + [c for k, c in conditions.items()
                                          if k not in ("Available", "Progressing", "ReplicaFailure")]
        write_status(self.ctx.store, DEPLOYMENT, d, status)

    @staticmethod
    def _made_progress(old: Obj, new: dict[str, int]) -> bool:
        def old_replicas(s: Any) -> int:
            return int(s.get("replicas") or 0) - int(s.get("updatedReplicas") or 0)

        return (new["updatedReplicas"] > int(old.get("updatedReplicas") or 0)
                or new["readyReplicas"] > int(old.get("readyReplicas") or 0)
                or new["availableReplicas"] > int(old.get("availableReplicas") or 0)
                or old_replicas(old) > old_replicas(new))

    def _timed_out(self, uid: str, cond: Obj | None, deadline: Any, now: float) -> bool:
        if cond is None or cond.get("reason") == "NewReplicaSetAvailable":
            return False
        if cond.get("reason") == "ProgressDeadlineExceeded":
            return True
        since = self._progress_at.get(uid) or parse_rfc3339(cond.get("lastUpdateTime"))
        return since is not None and since + float(deadline) < now
