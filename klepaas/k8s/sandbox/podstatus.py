"""What the simulated kubelet knows about a running pod, and the pod `status` it reports."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from klepaas.k8s.sandbox.context import rfc3339
from klepaas.k8s.sandbox.failures import TERMINATIONS, Behaviour
from klepaas.k8s.sandbox.store import Obj

# container stages
CREATING = "creating"  # waiting: ContainerCreating
RUNNING = "running"  # started, not (yet) ready
READY = "ready"
BACKOFF = "backoff"  # waiting: CrashLoopBackOff, lastState terminated
PULL_ERROR = "pull-error"  # waiting: ErrImagePull
PULL_BACKOFF = "pull-backoff"  # waiting: ImagePullBackOff

NEVER = math.inf


def full_image(image: str) -> str:
    """'nginx:1.25' -> 'docker.io/library/nginx:1.25', as containerd reports it."""
    name = image.split("@", 1)[0]
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def image_id(image: str) -> str:
    repo = full_image(image).rsplit(":", 1)[0]
    return f"{repo}@sha256:{hashlib.sha256(full_image(image).encode()).hexdigest()}"


@dataclass
class ContainerRun:
    name: str
    image: str
    behaviour: Behaviour
    stage: str = CREATING
    due: float = NEVER  # when this container's next transition happens
    restarts: int = 0
    pull_failures: int = 0
    backoff: float = 0.0
    started_at: float | None = None
    ever_started: bool = False
    container_id: str = ""
    last_terminated: Obj | None = None

    def status(self, pod_name: str, namespace: str, uid: str) -> Obj:
        ready = self.stage == READY
        state: Obj
        if self.stage in (RUNNING, READY):
            state = {"running": {"startedAt": rfc3339(self.started_at or 0)}}
        elif self.stage == BACKOFF:
            state = {"waiting": {"reason": "CrashLoopBackOff",
                                 "message": f"back-off {_duration(self.backoff)} restarting failed "
                                            f"container={self.name} pod={pod_name}_{namespace}({uid})"}}
        elif self.stage == PULL_ERROR:
            ref = full_image(self.image)
            state = {"waiting": {"reason": "ErrImagePull",
                                 "message": f'failed to pull and unpack image "{ref}": failed to resolve '
                                            f'reference "{ref}": {ref}: not found'}}
        elif self.stage == PULL_BACKOFF:
            state = {"waiting": {"reason": "ImagePullBackOff",
                                 "message": f'Back-off pulling image "{self.image}"'}}
        else:
            state = {"waiting": {"reason": "ContainerCreating"}}
        status: Obj = {
            "name": self.name,
            "state": state,
            "lastState": {"terminated": dict(self.last_terminated)} if self.last_terminated else {},
            "ready": ready,
            "restartCount": self.restarts,
            "image": full_image(self.image),
            "imageID": image_id(self.image) if self.ever_started else "",
            "started": self.stage in (RUNNING, READY),
        }
        if self.container_id:
            status["containerID"] = self.container_id
        return status

    def terminate(self, at: float) -> None:
        ending = TERMINATIONS[self.behaviour]
        self.last_terminated = {
            "exitCode": ending.exit_code,
            "reason": ending.reason,
            "startedAt": rfc3339(self.started_at or at),
            "finishedAt": rfc3339(at),
            "containerID": self.container_id,
        }
        self.restarts += 1


def _duration(seconds: float) -> str:
    """Go's duration format for whole seconds and minutes: '10s', '2m40s'."""
    total = max(round(seconds), 0)
    minutes, secs = divmod(total, 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def qos_class(pod: Obj) -> str:
    containers = pod.get("spec", {}).get("containers") or []
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        requests = resources.get("requests") or {}
        if limits or requests:
            any_set = True
        for resource in ("cpu", "memory"):
            if resource not in limits or requests.get(resource, limits[resource]) != limits[resource]:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed and containers else "Burstable"


@dataclass
class PodRun:
    uid: str
    name: str
    namespace: str
    node: str
    node_index: int
    host_ip: str
    scheduled_at: float
    qos: str
    containers: list[ContainerRun]
    init_containers: list[tuple[str, str]] = field(default_factory=list)  # (name, image)
    ip: str | None = None
    conditions: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def due(self) -> float:
        return min((c.due for c in self.containers), default=NEVER)

    def status(self, now: float) -> Obj:
        unready = [c.name for c in self.containers if c.stage != READY]
        all_started = all(c.ever_started for c in self.containers)
        ready = "False" if unready else "True"
        wanted = {
            "PodReadyToStartContainers": "True" if self.ip else "False",
            "Initialized": "True",
            "Ready": ready,
            "ContainersReady": ready,
            "PodScheduled": "True",
        }
        conditions = []
        for kind, value in wanted.items():
            previous = self.conditions.get(kind)
            if previous is None or previous[0] != value:
                previous = (value, now if kind not in ("PodScheduled", "Initialized") else self.scheduled_at)
                self.conditions[kind] = previous
            condition: Obj = {"type": kind, "status": value, "lastProbeTime": None,
                              "lastTransitionTime": rfc3339(previous[1])}
            if value == "False" and kind in ("Ready", "ContainersReady"):
                condition["reason"] = "ContainersNotReady"
                condition["message"] = f"containers with unready status: [{' '.join(unready)}]"
            conditions.append(condition)
        status: Obj = {
            "phase": "Running" if all_started else "Pending",
            "conditions": conditions,
            "hostIP": self.host_ip,
            "hostIPs": [{"ip": self.host_ip}],
            "startTime": rfc3339(self.scheduled_at),
            "containerStatuses": [c.status(self.name, self.namespace, self.uid) for c in self.containers],
            "qosClass": self.qos,
        }
        if self.ip:
            status["podIP"] = self.ip
            status["podIPs"] = [{"ip": self.ip}]
        if self.init_containers:
            status["initContainerStatuses"] = [self._init_status(name, image)
                                               for name, image in self.init_containers]
        return status

    def _init_status(self, name: str, image: str) -> Obj:
        started = rfc3339(self.scheduled_at)
        return {
            "name": name, "ready": True, "restartCount": 0, "started": False,
            "image": full_image(image), "imageID": image_id(image),
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started,
                                     "finishedAt": started}},
            "lastState": {},
        }


def unschedulable_status(message: str, since: float, qos: str) -> Obj:
    return {
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                        "message": message, "lastProbeTime": None, "lastTransitionTime": rfc3339(since)}],
        "qosClass": qos,
    }
