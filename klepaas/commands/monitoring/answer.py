"""From series to an answer: the current value and the trend in words, and the chart."""

from __future__ import annotations

import asyncio
import re

from klepaas.commands.monitoring.charts import render_chart
from klepaas.commands.monitoring.prometheus import Series
from klepaas.commands.result import Block, Fields, Image, Table
from klepaas.errors import UserError
from klepaas.llm.plan import Lang

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SINCE_SECONDS = 7 * 86400


def parse_since(text: str) -> int:
    """`30m`, `1h`, `2d` → seconds (at most 7 days); anything else is a UserError."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise UserError(f"--since {text!r} is not a duration", hint="use e.g. 30m, 1h, 6h or 2d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > MAX_SINCE_SECONDS:
        raise UserError(f"--since {text} is too long", hint="at most 7d")
    return seconds


def human(value: float, unit: str) -> str:
    if unit == "bytes":
        for suffix, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if abs(value) >= size:
                return f"{value / size:.1f} {suffix}"
        return f"{value:.0f} B"
    if unit == "cores":
        return f"{value * 1000:.0f}m" if abs(value) < 1 else f"{value:.2f} cores"
    if unit == "req/s":
        return f"{value:.2f} req/s"
    return f"{value:.4g}"


def trend(points: list[tuple[float, float]], unit: str, lang: Lang) -> str:
    """Rising / falling / steady, from the first point to the last."""
    if len(points) < 2:
        return "변화를 볼 데이터가 부족합니다" if lang == "ko" else "not enough data for a trend"
    first, last = points[0][1], points[-1][1]
    delta = last - first
    base = max(abs(first), abs(last), 1e-12)
    share = delta / base
    if abs(share) < 0.05:
        return "안정적 (변화 5% 미만)" if lang == "ko" else "steady (within 5%)"
    arrow = "↑" if delta > 0 else "↓"
    amount = human(abs(delta), unit)
    if lang == "ko":
        return f"{arrow} {amount} ({'증가' if delta > 0 else '감소'})"
    return f"{arrow} {amount} ({'rising' if delta > 0 else 'falling'})"


def summary_blocks(series: list[Series], unit: str, since: str, lang: Lang) -> list[Block]:
    """Fields for one series, a table for several: current, min, max and trend."""
    ko = lang == "ko"
    if len(series) == 1:
        values = [v for _, v in series[0].points]
        low, high = human(min(values), unit), human(max(values), unit)
        return [
            Fields(
                items=[
                    ("현재" if ko else "Current", human(values[-1], unit)),
                    ("최소 / 최대" if ko else "Min / max", f"{low} / {high}"),
                    (f"추세 ({since})" if ko else f"Trend ({since})", trend(series[0].points, unit, lang)),
                ]
            )
        ]
    rows = []
    for one in series[:20]:
        values = [v for _, v in one.points]
        rows.append([one.name, human(values[-1], unit), trend(one.points, unit, lang)])
    return [
        Table(
            columns=["series", "현재" if ko else "current", "추세" if ko else "trend"],
            rows=rows,
            omitted=max(0, len(series) - 20),
        )
    ]


async def chart_block(series: list[Series], title: str, unit: str) -> Image:
    path = await asyncio.to_thread(render_chart, series, title=title, unit=unit)
    return Image(path=str(path), title=title, alt=f"line chart: {title}")
