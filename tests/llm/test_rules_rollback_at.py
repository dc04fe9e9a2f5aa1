"""A rollback to a point in time said in words: `rollback --at` the instant, fixed when planned.

And a write whose app the Korean glossary only guesses is asked about when another app might be it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from klepaas.llm.plan import Clarify, Plan, PlanningContext
from klepaas.llm.rules.parser import RulesParser
from tests.llm.rules_kit import command_infos

NOW = datetime(2025, 11, 30, 12, 0, 0, tzinfo=UTC)  # a fixed clock, in the past


@pytest.fixture(scope="module")
def rules() -> RulesParser:
    return RulesParser(command_infos(), clock=lambda: NOW)


@pytest.mark.parametrize(
    ("text", "name", "at"),
    [
        ("payment-api 3일 전 버전으로 롤백", "payment-api", "2025-11-27T12:00:00Z"),
        ("api 삼일 전 배포로 돌려놔", "api", "2025-11-27T12:00:00Z"),
        ("search 어제 버전으로 되돌려줘", "search", "2025-11-29T12:00:00Z"),
        ("web 이틀 전 버전으로 롤백", "web", "2025-11-28T12:00:00Z"),
        ("checkout 세 시간 전으로 롤백해줘", "checkout", "2025-11-30T09:00:00Z"),
        ("api 30분 전 상태로 롤백", "api", "2025-11-30T11:30:00Z"),
        ("roll back checkout to yesterday's version", "checkout", "2025-11-29T12:00:00Z"),
        ("revert ledger to what was running 2 hours ago", "ledger", "2025-11-30T10:00:00Z"),
        ("rollback web to how it was 2 hours ago", "web", "2025-11-30T10:00:00Z"),
        ("roll web back to an hour ago", "web", "2025-11-30T11:00:00Z"),
        ("roll back api to 2 weeks ago", "api", "2025-11-16T12:00:00Z"),
    ],
)
def test_a_rollback_to_a_precise_moment_is_planned_with_that_instant(
    rules: RulesParser, text: str, name: str, at: str
) -> None:
    reading = rules.read(text)
    assert reading.outcome == Plan(
        "rollback",
        {"name": name, "at": at},
        "rules",
        confidence=reading.confidence,
        lang=reading.outcome.lang,
    )
    assert reading.decided


def test_a_rollback_to_a_moment_in_a_thread_takes_the_threads_app(rules: RulesParser) -> None:
    previous = Plan("rollout_history", {"name": "web"}, "rules")
    outcome = rules.parse("3일 전 버전으로 롤백", PlanningContext(previous=previous))
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("rollback", {"name": "web", "at": "2025-11-27T12:00:00Z"})


def test_an_explicit_revision_wins_over_a_moment_in_the_same_sentence(rules: RulesParser) -> None:
    outcome = rules.parse("어제 배포 말고 리비전 5로 api 롤백")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("rollback", {"name": "api", "revision": 5})


def test_a_moment_more_than_a_year_back_is_asked_about(rules: RulesParser) -> None:
    outcome = rules.parse("api 500일 전 버전으로 롤백")
    assert isinstance(outcome, Clarify)


# ---- writes name their app exactly, or the glossary's guess is the only plausible app -----------


def test_a_write_to_a_glossary_guess_with_another_plausible_app_asks_listing_both(
    rules: RulesParser,
) -> None:
    apps = PlanningContext(app_names=["notifier", "notification-worker", "web"])
    outcome = rules.parse("알림 서버 세 개로 늘려", apps)
    assert isinstance(outcome, Clarify)
    assert outcome.lang == "ko"
    assert "`notification-worker`" in outcome.question and "`notifier`" in outcome.question
    assert "어느 앱" in outcome.question


def test_a_read_keeps_the_glossarys_best_guess(rules: RulesParser) -> None:
    apps = PlanningContext(app_names=["notifier", "notification-worker", "web"])
    outcome = rules.parse("알림 서버 상태 보여줘", apps)
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("status", {"name": "notification-worker"})


def test_a_write_to_the_only_plausible_app_still_runs(rules: RulesParser) -> None:
    outcome = rules.parse("결제 서버 재시작", PlanningContext(app_names=["payment-api", "web", "order-svc"]))
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("restart", {"name": "payment-api"})


def test_the_role_said_narrows_a_write_to_the_app_that_has_it(rules: RulesParser) -> None:
    outcome = rules.parse("결제 서버 재시작", PlanningContext(app_names=["payment-api", "payment-worker"]))
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("restart", {"name": "payment-api"})


def test_a_write_named_exactly_is_not_questioned(rules: RulesParser) -> None:
    apps = PlanningContext(app_names=["notifier", "notification-worker"])
    outcome = rules.parse("notifier 3개로 늘려", apps)
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("scale", {"name": "notifier", "replicas": 3})
