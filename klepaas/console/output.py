"""Plain output helpers shared by the console commands."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def print_json(value: Any, stream: TextIO | None = None) -> None:
    """One JSON document on one line (so `klepaas plan` output can be read line by line)."""
    out = stream or sys.stdout
    out.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    out.flush()
