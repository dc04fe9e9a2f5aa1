"""A small client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`).

Every call has a timeout; Prometheus being unset, unreachable or slow is an `Unavailable` that
says which; a query Prometheus rejects (bad PromQL) is a `UserError` carrying its message.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

import aiohttp

from klepaas.errors import Unavailable, UserError
from klepaas.metrics import metrics

DEFAULT_TIMEOUT_SECONDS = 10.0
# Prometheus refuses ranges of more than 11,000 points; we ask for far fewer (one chart's width).
MAX_POINTS = 240


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]  # (unix seconds, value), oldest first; NaN dropped

    @property
    def name(self) -> str:
        shown = {k: v for k, v in self.labels.items() if k != "__name__"}
        base = self.labels.get("__name__", "")
        if not shown:
            return base or "value"
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items()))
        return f"{base}{{{inner}}}"

    @property
    def last(self) -> float | None:
        return self.points[-1][1] if self.points else None


class PrometheusClient:
    def __init__(self, base_url: str | None, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if not base_url:
            raise Unavailable(
                "Prometheus is not configured.",
                hint="set PROMETHEUS_BASE_URL to the Prometheus server (e.g. http://prometheus:9090)",
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def query_range(self, promql: str, start: float, end: float, step: float) -> list[Series]:
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:.3f}"}
        data = await self._get("query_range", params)
        return _parse(data)

    async def query(self, promql: str, at: float | None = None) -> list[Series]:
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return _parse(await self._get("query", params))

    async def _get(self, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}/api/v1/{endpoint}"
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            with metrics().external_call("prometheus", endpoint):
                async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
                    url, params=params
                ) as response:
                    body = await _json_body(response)
                    if response.status in (400, 422):
                        raise UserError(
                            f"Prometheus refused the query: {body.get('error') or response.reason}",
                            hint="check the PromQL syntax",
                        )
                    if response.status != 200 or body.get("status") != "success":
                        raise Unavailable(
                            f"Prometheus answered {response.status}: {body.get('error') or response.reason}"
                        )
                    result: dict[str, Any] = body.get("data") or {}
                    return result
        except TimeoutError as exc:
            raise Unavailable(
                f"Prometheus did not answer within {self.timeout:g}s.",
                hint="the query may be too expensive; try a shorter --since",
            ) from exc
        except aiohttp.ClientError as exc:
            raise Unavailable(
                f"Prometheus at {self.base_url} cannot be reached ({type(exc).__name__}).",
                hint="check PROMETHEUS_BASE_URL and that Prometheus is up",
            ) from exc


async def _json_body(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError, asyncio.IncompleteReadError):
        return {}
    return body if isinstance(body, dict) else {}


def _number(raw: Any) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return math.nan


def _parse(data: dict[str, Any]) -> list[Series]:
    kind = data.get("resultType")
    result = data.get("result")
    series: list[Series] = []
    if kind in ("scalar", "string") and isinstance(result, list) and len(result) == 2:
        return [Series({}, [(float(result[0]), _number(result[1]))])]
    for item in result or []:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        raw = item.get("values") or ([item["value"]] if "value" in item else [])
        points = [(float(t), _number(v)) for t, v in raw]
        series.append(Series(labels, [(t, v) for t, v in points if not math.isnan(v)]))
    return series


def range_step(seconds: float) -> float:
    """A step that gives at most MAX_POINTS points over `seconds` (at least one second)."""
    return max(1.0, math.ceil(seconds / MAX_POINTS))
