"""`rollback --at` / `--ago` in the structured grammar: one instant, in the past, with its zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from klepaas.commands.builtin import build_registry
from klepaas.commands.grammar import Grammar, UsageError


@pytest.fixture(scope="module")
def grammar() -> Grammar:
    return Grammar(build_registry())


def test_an_absolute_time_with_its_zone_is_the_rollbacks_moment(grammar: Grammar) -> None:
    parsed = grammar.parse("rollback api --at 2025-11-27T19:00+09:00")
    assert parsed is not None
    assert parsed.plan.args == {"name": "api", "at": "2025-11-27T10:00:00Z"}


def test_ago_is_fixed_to_an_instant_when_the_command_is_read(grammar: Grammar) -> None:
    before = datetime.now(UTC)
    parsed = grammar.parse("rollback api --ago 3d")
    assert parsed is not None
    moment = datetime.fromisoformat(parsed.plan.args["at"])
    assert before - timedelta(days=3, seconds=5) <= moment <= datetime.now(UTC) - timedelta(days=3)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("rollback api --at 2025-11-27T10:00", "has no time zone"),
        ("rollback api --at 2999-01-01T00:00Z", "is in the future"),
        ("rollback api --at yesterdayish", "is not a time"),
        ("rollback api --to 3 --ago 2h", "give only one of revision, steps_back, commit, at"),
    ],
)
def test_a_moment_that_is_not_one_instant_in_the_past_is_refused(
    grammar: Grammar, line: str, problem: str
) -> None:
    with pytest.raises(UsageError, match=problem):
        grammar.parse(line)
