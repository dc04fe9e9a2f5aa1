"""Charts rendered server-side: a PNG of time series (matplotlib, Agg backend, no display).

Rendering is CPU work: call `render_chart` in a thread. Files go to a directory of their own
under the system temp dir; front doors upload them (Slack, which then deletes the file) or show
their path (console, MCP, HTTP API). Those are left for the reader, for an hour: each new chart
first clears the charts older than that, so the directory never grows without bound.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from klepaas.commands.monitoring.prometheus import Series

MAX_SERIES = 8
CHART_DIR = Path(tempfile.gettempdir()) / "klepaas-charts"
# How long a chart handed out by path stays on disk.
CHART_KEEP_SECONDS = 3600.0


def render_chart(series: list[Series], *, title: str, unit: str = "", directory: Path | None = None) -> Path:
    """Write a line chart of `series` (the first MAX_SERIES) as a PNG; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.add_subplot()
    for one in series[:MAX_SERIES]:
        if not one.points:
            continue
        times = mdates.date2num([datetime.fromtimestamp(t, UTC) for t, _ in one.points])
        values = [v for _, v in one.points]
        axes.plot(times, values, linewidth=1.6, label=_short(one.name))
    axes.set_title(title, fontsize=11, loc="left")
    if unit:
        axes.set_ylabel(unit)
    axes.grid(True, alpha=0.3)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))
    axes.set_xlabel("UTC")
    if 1 < len(series) <= MAX_SERIES:
        axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    target = directory or CHART_DIR
    target.mkdir(parents=True, exist_ok=True)
    sweep_charts(target)
    path = target / f"chart-{uuid.uuid4().hex[:12]}.png"
    figure.savefig(path, format="png")
    return path


def sweep_charts(directory: Path, keep_seconds: float = CHART_KEEP_SECONDS) -> int:
    """Delete the charts in `directory` older than `keep_seconds`; returns how many went."""
    cutoff = time.time() - keep_seconds
    removed = 0
    for old in directory.glob("chart-*.png"):
        with contextlib.suppress(OSError):  # gone already (another process swept it), or not ours
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed += 1
    return removed


def _short(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
