"""The ReplicaSet controller: keep `spec.replicas` pods alive and report how many are ready."""

from __future__ import annotations

from klepaas.k8s.sandbox import events as ev
from klepaas.k8s.sandbox.context import POD, REPLICASET, Context, parse_rfc3339, write_status
from klepaas.k8s.sandbox.defaults import apply_defaults
from klepaas.k8s.sandbox.store import Key, Obj, Store, StoreError, clone

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.String alphabet (no vowels)


def pod_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def ready_since(pod: Obj) -> float | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            return parse_rfc3339(c.get("lastTransitionTime"))
    return None


def pod_active(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


def owner_reference(owner: Obj) -> Obj:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def admit_pod(pod: Obj, store: Store) -> None:
    """What the API server does to a new pod: defaults, plus the ServiceAccount and
    DefaultTolerationSeconds admission plugins."""
    apply_defaults(POD, pod, store)
    spec = pod["spec"]
    spec.setdefault("serviceAccount", spec.get("serviceAccountName", "default"))
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ])


def _delete_rank(pod: Obj) -> tuple[int, int, int, float, str]:
    """Pods to delete first sort first: unscheduled, pending, not ready, then the newest."""
    status = pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase", "Pending"), 0)
    created = parse_rfc3339(pod["metadata"].get("creationTimestamp")) or 0.0
    restarts = sum(int(cs.get("restartCount") or 0) for cs in status.get("containerStatuses") or [])
    return (
        1 if pod["spec"].get("nodeName") else 0,
        phase_rank * 2 + (1 if pod_ready(pod) else 0),
        -restarts,
        -created,
        pod["metadata"]["name"],
    )


class ReplicaSetController:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def pods_of(self, rs: Obj) -> list[Obj]:
        ns = rs["metadata"]["namespace"]
        found = []
        for key in sorted(self.ctx.index.pods.of(rs["metadata"]["uid"])):
            pod = self.ctx.store.find(POD, *key)
            if pod is not None and key[0] == ns and pod_active(pod):
                found.append(pod)
        return found

    def sync(self, key: Key) -> None:
        rs = self.ctx.store.find(REPLICASET, *key)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        pods = self.pods_of(rs)
        wanted = int(rs["spec"].get("replicas", 1))
        if len(pods) < wanted:
            self._create_pods(rs, min(wanted - len(pods), self.ctx.options.pod_burst))
            if wanted - len(pods) > self.ctx.options.pod_burst:
                self.ctx.after(0, "replicaset", key)
        elif len(pods) > wanted:
            for pod in sorted(pods, key=_delete_rank)[: len(pods) - wanted]:
                self._delete_pod(rs, pod)
        self._update_status(rs, self.pods_of(rs))

    def _create_pods(self, rs: Obj, count: int) -> None:
        template = rs["spec"].get("template") or {}
        tmeta = template.get("metadata") or {}
        for _ in range(count):
            pod: Obj = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "generateName": f"{rs['metadata']['name']}-",
                    "namespace": rs["metadata"]["namespace"],
                    "labels": dict(tmeta.get("labels") or {}),
                    "ownerReferences": [owner_reference(rs)],
                },
                "spec": clone(template.get("spec") or {}),
            }
            if tmeta.get("annotations"):
                pod["metadata"]["annotations"] = dict(tmeta["annotations"])
            admit_pod(pod, self.ctx.store)
            created = self._create_named(pod)
            if created is None:
                return
            self.ctx.events.record(rs, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                                   component=ev.REPLICASET_CONTROLLER)

    def _create_named(self, pod: Obj) -> Obj | None:
        base = pod["metadata"]["generateName"]
        for _ in range(5):
            suffix = "".join(self.ctx.rng.choice(NAME_ALPHABET) for _ in range(5))
            pod["metadata"]["name"] = f"{base}{suffix}"
            try:
                return self.ctx.store.create(POD, pod)
            except StoreError as error:
                if error.reason == "AlreadyExists":
                    continue
                if error.code == 404:  # the namespace is being deleted
                    return None
                raise
        return None

    def _delete_pod(self, rs: Obj, pod: Obj) -> None:
        meta = pod["metadata"]
        if self.ctx.store.find(POD, meta["namespace"], meta["name"]) is None:
            return
        self.ctx.store.delete(POD, meta["namespace"], meta["name"])
        self.ctx.events.record(rs, "SuccessfulDelete", f"Deleted pod: {meta['name']}",
                               component=ev.REPLICASET_CONTROLLER)

    def _update_status(self, rs: Obj, pods: list[Obj]) -> None:
        now = self.ctx.now()
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        ready = available = labeled = 0
        recheck: float | None = None
        for pod in pods:
            pod_labels = pod["metadata"].get("labels") or {}
            if all(pod_labels.get(k) == v for k, v in labels.items()):
                labeled += 1
            if pod_ready(pod):
                ready += 1
                since = ready_since(pod) or now
                if min_ready <= 0 or since + min_ready <= now:
                    available += 1
                else:
                    recheck = min(recheck or since + min_ready, since + min_ready)
        if recheck is not None:
            self.ctx.schedule_at(recheck + 0.01, "replicaset", (rs["metadata"]["namespace"],
                                                                rs["metadata"]["name"]))
        status: Obj = {"replicas": len(pods)}
        for field, value in (("fullyLabeledReplicas", labeled), ("readyReplicas", ready),
                             ("availableReplicas", available)):
            if value:
                status[field] = value
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        conditions = [c for c in (rs.get("status") or {}).get("conditions") or []
                      if c.get("type") != "ReplicaFailure"]
        if conditions:
            status["conditions"] = conditions
        write_status(self.ctx.store, REPLICASET, rs, status)
