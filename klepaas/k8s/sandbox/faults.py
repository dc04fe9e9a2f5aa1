"""Fault injection for tests: slow answers, 5xx, 429 with Retry-After, dropped watch streams.

Python API (on `SandboxCluster.faults`):

    faults.latency(0.3, path_prefix="/api/v1/namespaces/default/pods")
    faults.error(500, verb="list", times=1)
    faults.throttle(retry_after=2, times=1)
    faults.drop_watches(after_events=1)     # future watch streams end after one event
    faults.drop_open_watches()              # end every open watch stream now
    faults.clear()

HTTP (admin only): `POST /_sandbox/faults` with a JSON Fault (`{"kind": "error", "status": 503,
"verb": "get", "times": 1}`), `GET` lists them, `DELETE` clears them,
`POST /_sandbox/faults/drop-watches` ends every open watch now.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from klepaas.k8s.sandbox.requestinfo import RequestInfo
from klepaas.k8s.sandbox.store import Obj, Store, StoreError

KINDS = ("latency", "error", "throttle", "drop_watch")
_REASONS = {500: "InternalError", 502: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
_ids = itertools.count(1)


@dataclass
class Fault:
    kind: str  # latency | error | throttle | drop_watch
    path_prefix: str = ""  # only requests whose path starts with this
    verb: str | None = None  # only this Kubernetes verb (get, list, watch, create, patch, ...)
    times: int | None = None  # fire this many times, then disappear; None = until cleared
    delay: float = 0.0  # latency: seconds added before the answer
    status: int = 500  # error: the HTTP status
    retry_after: int = 1  # throttle: seconds in Retry-After
    after_events: int = 0  # drop_watch: events sent before the stream ends
    id: int = field(default_factory=lambda: next(_ids))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")

    def matches(self, info: RequestInfo) -> bool:
        return info.path.startswith(self.path_prefix) and (self.verb is None or self.verb == info.verb)

    def to_json(self) -> Obj:
        return asdict(self)


class Faults:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._faults: list[Fault] = []

    @property
    def active(self) -> list[Fault]:
        return list(self._faults)

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def add_json(self, body: Any) -> Fault:
        if not isinstance(body, dict):
            raise StoreError(400, "BadRequest", "a fault must be a JSON object")
        allowed = set(Fault.__dataclass_fields__) - {"id"}
        unknown = set(body) - allowed
        if unknown:
            raise StoreError(400, "BadRequest", f"unknown fault fields: {', '.join(sorted(unknown))}")
        try:
            return self.add(Fault(**body))
        except (TypeError, ValueError) as exc:
            raise StoreError(400, "BadRequest", str(exc)) from exc

    def latency(self, seconds: float, **scope: Any) -> Fault:
        return self.add(Fault("latency", delay=seconds, **scope))

    def error(self, status: int = 500, **scope: Any) -> Fault:
        return self.add(Fault("error", status=status, **scope))

    def throttle(self, retry_after: int = 1, **scope: Any) -> Fault:
        return self.add(Fault("throttle", retry_after=retry_after, **scope))

    def drop_watches(self, after_events: int = 0, **scope: Any) -> Fault:
        return self.add(Fault("drop_watch", after_events=after_events, **scope))

    def drop_open_watches(self) -> None:
        self._store.close_watches()

    def clear(self) -> None:
        self._faults.clear()

    # ---- used by the server ------------------------------------------------------------------------
    def _take(self, info: RequestInfo, kinds: tuple[str, ...]) -> list[Fault]:
        fired = [f for f in self._faults if f.kind in kinds and f.matches(info)]
        for fault in fired:
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
        return fired

    def before_request(self, info: RequestInfo) -> tuple[float, StoreError | None, dict[str, str]]:
        """(delay, error to answer with or None, extra headers) for this request."""
        fired = self._take(info, ("latency", "error", "throttle"))
        delay = sum(f.delay for f in fired if f.kind == "latency")
        for fault in fired:
            if fault.kind == "throttle":
                error = StoreError(429, "TooManyRequests", "Too many requests, please try again later.",
                                   {"retryAfterSeconds": fault.retry_after})
                return delay, error, {"Retry-After": str(fault.retry_after)}
            if fault.kind == "error":
                reason = _REASONS.get(fault.status, "InternalError")
                error = StoreError(fault.status, reason,
                                   f"Internal error occurred: injected fault (HTTP {fault.status})",
                                   {"causes": [{"message": "injected by the sandbox fault table"}]})
                return delay, error, {}
        return delay, None, {}

    def watch_budget(self, info: RequestInfo) -> int | None:
        """How many events a new watch stream may send before it is dropped; None = no limit."""
        fired = self._take(info, ("drop_watch",))
        return min(f.after_events for f in fired) if fired else None
