"""Container logs for the sandbox's `pods/{name}/log`: synthetic, realistic and deterministic.

A container instance's log is a function of the pod name, the container name and the restart
count: asking twice gives the same lines (plus the ones written since). nginx-like images write
an entrypoint banner and access logs; other images write application logs. A crash-looping
instance ends with a stack trace, an OOM-killed one with a memory warning. Errors are the API
server's, word for word, as `StoreError`s (400 BadRequest).
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime

from klepaas.k8s.sandbox.failures import image_tag
from klepaas.k8s.sandbox.store import Obj, StoreError

BUCKET_SECONDS = 10.0  # lines are generated per 10 s bucket, so a tail never replays a week
MAX_LINES = 10_000  # without tailLines, at most this many of the newest lines
_NGINX_LIKE = ("nginx", "httpd", "caddy", "envoy", "traefik", "haproxy")
_PATHS = ("/", "/healthz", "/readyz", "/api/v1/orders", "/api/v1/users/42", "/api/v1/cart",
          "/static/app.js", "/static/app.css", "/favicon.ico", "/api/v1/payments", "/metrics")
_AGENTS = ("kube-probe/1.32", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
           "curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1")

Line = tuple[float, str]


def bad_request(message: str) -> StoreError:
    return StoreError(400, "BadRequest", message)


def _parse(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _rfc3339nano(ts: float) -> str:
    whole = int(ts)
    nanos = round((ts - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return f"{datetime.fromtimestamp(whole, UTC).strftime('%Y-%m-%dT%H:%M:%S')}.{nanos:09d}Z"


def _choose_container(pod: Obj, container: str | None) -> tuple[str, str]:
    """(container name, image) or the API server's 400."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = [(c["name"], c.get("image", "")) for c in spec.get("containers") or []]
    inits = [(c["name"], c.get("image", "")) for c in spec.get("initContainers") or []]
    if container is None:
        if len(containers) == 1:
            return containers[0]
        message = (f"a container name must be specified for pod {name}, "
                   f"choose one of: [{' '.join(c for c, _ in containers)}]")
        if inits:
            message += f" or one of the init containers: [{' '.join(c for c, _ in inits)}]"
        raise bad_request(message)
    for candidate in (*containers, *inits):
        if candidate[0] == container:
            return candidate
    raise bad_request(f"container {container} is not valid for pod {name}")


def _container_status(pod: Obj, container: str) -> Obj:
    status = pod.get("status") or {}
    for cs in [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or [])]:
        if cs.get("name") == container:
            return cs
    return {}


def pod_log(pod: Obj, *, container: str | None = None, tail_lines: int | None = None,
            since_seconds: int | None = None, previous: bool = False, timestamps: bool = False,
            now: float | None = None) -> str:
    """The log of one container instance as `GET .../pods/{name}/log` returns it."""
    now = time.time() if now is None else now
    name, image = _choose_container(pod, container)
    pod_name = pod["metadata"]["name"]
    cs = _container_status(pod, name)
    state = cs.get("state") or {}
    last = (cs.get("lastState") or {}).get("terminated")
    restarts = int(cs.get("restartCount") or 0)
    if previous:
        if not last:
            raise bad_request(f'previous terminated container "{name}" in pod "{pod_name}" not found')
        instance, start, end, ending = restarts - 1, _parse(last.get("startedAt")), \
            _parse(last.get("finishedAt")), last.get("reason")
    elif "running" in state:
        instance, start, end, ending = restarts, _parse(state["running"].get("startedAt")), now, None
    elif "terminated" in state:
        done = state["terminated"]
        instance, start, end, ending = restarts, _parse(done.get("startedAt")), \
            _parse(done.get("finishedAt")), done.get("reason")
    elif last:  # waiting to restart (CrashLoopBackOff): the last instance's log is still there
        instance, start, end, ending = restarts - 1, _parse(last.get("startedAt")), \
            _parse(last.get("finishedAt")), last.get("reason")
    else:
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        if reason in ("ErrImagePull", "ImagePullBackOff"):
            reason = "trying and failing to pull image"
        raise bad_request(f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    end = min(end if end is not None else now, now)
    start = start if start is not None else end
    if ending is not None and end - start < 1.0:
        start = end - 1.0  # timestamps have whole seconds: give a short-lived run its startup lines
    lines = _instance_lines(pod, name, image, max(instance, 0), start, end, ending,
                            since=now - since_seconds if since_seconds is not None else None,
                            limit=MAX_LINES if tail_lines is None or tail_lines < 0 else tail_lines)
    if not lines:
        return ""
    if timestamps:
        return "".join(f"{_rfc3339nano(ts)} {text}\n" for ts, text in lines)
    return "".join(f"{text}\n" for _, text in lines)


# ---- line generation --------------------------------------------------------------------
def _instance_lines(pod: Obj, container: str, image: str, instance: int, start: float, end: float,
                    ending: str | None, *, since: float | None, limit: int) -> list[Line]:
    """The newest `limit` lines of one instance written in [max(start, since), end]."""
    if limit == 0:
        return []
    seed = f"{pod['metadata']['name']}/{container}/{instance}"
    flavour = _nginx if any(word in image.rsplit("/", 1)[-1] for word in _NGINX_LIKE) else _app
    writer = flavour(pod, container, image, seed)
    ending_lines = list(_ending(writer, pod, container, ending, end))
    cutoff = min((ts for ts, _ in ending_lines), default=end)
    collected: list[Line] = list(reversed(ending_lines))  # newest first while collecting
    lower = max(start, since) if since is not None else start
    bucket = int((cutoff - start) // BUCKET_SECONDS)
    while bucket >= 0 and len(collected) < limit:
        t0 = start + bucket * BUCKET_SECONDS
        if t0 + BUCKET_SECONDS < lower:
            break
        rng = random.Random(f"{seed}#{bucket}")
        chunk = list(writer.startup(start)) if bucket == 0 else []
        chunk += [line for line in writer.traffic(rng, t0) if t0 < line[0]]
        collected.extend(reversed([line for line in chunk if line[0] <= cutoff]))
        bucket -= 1
    lines = [line for line in reversed(collected) if line[0] >= lower]
    return lines[-limit:]


def _ending(writer: _Writer, pod: Obj, container: str, ending: str | None, end: float) -> Iterator[Line]:
    if ending == "OOMKilled":
        limit = _memory_limit(pod, container)
        yield end - 0.4, writer.format(end - 0.4, "WARN", f"memory usage high rss={limit} limit={limit}")
        yield end - 0.1, writer.format(end - 0.1, "WARN", "allocating 64Mi for request buffer")
    elif ending == "Error":
        crash = writer.crash()
        for offset, (level, text) in enumerate(crash):
            ts = end - 0.05 * (len(crash) - offset)
            yield ts, writer.format(ts, level, text) if level else text


def _memory_limit(pod: Obj, container: str) -> str:
    for c in pod.get("spec", {}).get("containers") or []:
        if c.get("name") == container:
            return str(((c.get("resources") or {}).get("limits") or {}).get("memory", "512Mi"))
    return "512Mi"


class _Writer(ABC):
    def __init__(self, pod: Obj, container: str, image: str, seed: str) -> None:
        self.pod = pod
        self.container = container
        self.image = image
        self.seed = seed
        self.version = image_tag(image)

    @abstractmethod
    def format(self, ts: float, level: str, text: str) -> str:
        ...

    @abstractmethod
    def startup(self, start: float) -> list[Line]:
        ...

    @abstractmethod
    def traffic(self, rng: random.Random, t0: float) -> list[Line]:
        ...

    @abstractmethod
    def crash(self) -> list[tuple[str, str]]:
        ...

    @staticmethod
    def client_ip(rng: random.Random) -> str:
        return f"10.244.{rng.randrange(0, 3)}.{rng.randrange(2, 60)}"

    @staticmethod
    def times(rng: random.Random, t0: float) -> list[float]:
        return sorted(t0 + rng.random() * BUCKET_SECONDS for _ in range(rng.randrange(1, 7)))


class _NginxWriter(_Writer):
    def format(self, ts: float, level: str, text: str) -> str:
        stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y/%m/%d %H:%M:%S")
        return f"{stamp} [{level.lower() if level != 'WARN' else 'warn'}] 1#1: {text}"

    def startup(self, start: float) -> list[Line]:
        banner = [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, "
            "will attempt to perform configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
        ]
        lines = [(start + 0.001 * (i + 1), text) for i, text in enumerate(banner)]
        notices = ['using the "epoll" event method', f"nginx/{self.version}",
                   "built by gcc 12.2.0 (Debian 12.2.0-14)", "OS: Linux 6.8.0-45-generic",
                   "getrlimit(RLIMIT_NOFILE): 1048576:1048576", "start worker processes",
                   "start worker process 29", "start worker process 30"]
        lines += [(start + 0.01 + 0.001 * i, self.format(start + 0.01, "notice", text))
                  for i, text in enumerate(notices)]
        return lines

    def traffic(self, rng: random.Random, t0: float) -> list[Line]:
        lines = []
        for ts in self.times(rng, t0):
            path = rng.choice(_PATHS)
            agent = "kube-probe/1.32" if path in ("/healthz", "/readyz") else rng.choice(_AGENTS)
            status = rng.choices((200, 200, 200, 304, 404, 500), weights=(60, 20, 10, 5, 4, 1))[0]
            size = 0 if status == 304 else rng.randrange(153, 48_000)
            stamp = datetime.fromtimestamp(ts, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
            method = "POST" if path.startswith("/api") and rng.random() < 0.3 else "GET"
            lines.append((ts, f'{self.client_ip(rng)} - - [{stamp}] "{method} {path} HTTP/1.1" {status} '
                              f'{size} "-" "{agent}" "-"'))
        return lines

    def crash(self) -> list[tuple[str, str]]:
        return [("emerg", 'host not found in upstream "backend:8080" in /etc/nginx/conf.d/default.conf:14')]


class _AppWriter(_Writer):
    def format(self, ts: float, level: str, text: str) -> str:
        millis = int(ts * 1000) % 1000
        stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"
        return f"{stamp} {level:<5} [{self.container}] {text}"

    def startup(self, start: float) -> list[Line]:
        ns = self.pod["metadata"].get("namespace", "default")
        texts = [
            ("INFO", f"starting {self.container} version={self.version} pid=1"),
            ("INFO", "loaded configuration from /etc/app/config.yaml"),
            ("INFO", f"connected to database host=postgres.{ns}.svc.cluster.local:5432 pool=10"),
            ("INFO", "listening on 0.0.0.0:8080"),
        ]
        return [(start + 0.05 * (i + 1), self.format(start + 0.05 * (i + 1), level, text))
                for i, (level, text) in enumerate(texts)]

    def traffic(self, rng: random.Random, t0: float) -> list[Line]:
        lines = []
        for ts in self.times(rng, t0):
            path = rng.choice(_PATHS)
            status = rng.choices((200, 201, 400, 404, 500), weights=(80, 8, 5, 5, 2))[0]
            duration = rng.randrange(1, 40) if rng.random() < 0.95 else rng.randrange(400, 2500)
            level = "ERROR" if status >= 500 else "WARN" if duration > 1000 else "INFO"
            method = "POST" if status == 201 else rng.choice(("GET", "GET", "GET", "PUT"))
            request_id = "".join(rng.choice("0123456789abcdef") for _ in range(12))
            lines.append((ts, self.format(ts, level, f"http request method={method} path={path} "
                                                     f"status={status} duration_ms={duration} "
                                                     f"request_id={request_id}")))
        return lines

    def crash(self) -> list[tuple[str, str]]:
        return [
            ("ERROR", "unhandled exception in main loop, exiting with status 1"),
            ("", "Traceback (most recent call last):"),
            ("", '  File "/app/main.py", line 88, in <module>'),
            ("", "    app.run()"),
            ("", '  File "/app/server.py", line 41, in run'),
            ("", "    self.db.connect()"),
            ("", "ConnectionRefusedError: [Errno 111] Connection refused"),
        ]


def _nginx(pod: Obj, container: str, image: str, seed: str) -> _Writer:
    return _NginxWriter(pod, container, image, seed)


def _app(pod: Obj, container: str, image: str, seed: str) -> _Writer:
    return _AppWriter(pod, container, image, seed)

