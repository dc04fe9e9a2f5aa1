"""Charts on disk: each is a real PNG; charts handed out by path are swept after an hour."""

from __future__ import annotations

import os
import time
from pathlib import Path

from klepaas.commands.monitoring.charts import CHART_KEEP_SECONDS, render_chart, sweep_charts
from klepaas.commands.monitoring.prometheus import Series

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def aged(path: Path, seconds: float) -> Path:
    path.write_bytes(PNG_SIGNATURE)
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_a_new_chart_clears_the_charts_older_than_an_hour_and_keeps_the_rest(tmp_path: Path) -> None:
    stale = aged(tmp_path / "chart-stale000000.png", CHART_KEEP_SECONDS + 60)
    recent = aged(tmp_path / "chart-recent00000.png", 60)
    not_ours = aged(tmp_path / "notes.txt", CHART_KEEP_SECONDS * 10)
    points = [(time.time() - 60 * i, float(i)) for i in range(10, 0, -1)]
    series = [Series(labels={"pod": "api-1"}, points=points)]

    path = render_chart(series, title="cpu of api", unit="cores", directory=tmp_path)

    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert not stale.exists()
    assert recent.exists() and not_ours.exists()


def test_sweeping_says_how_many_went(tmp_path: Path) -> None:
    for i in range(3):
        aged(tmp_path / f"chart-old{i}.png", CHART_KEEP_SECONDS * 2)
    aged(tmp_path / "chart-new.png", 1)

    assert sweep_charts(tmp_path) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["chart-new.png"]
