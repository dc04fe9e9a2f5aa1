"""Rules behaviour found on unseen text: points in time, "more lines", follow-ups, uncertain writes."""

from __future__ import annotations

import pytest

from klepaas.llm.plan import Clarify, Plan, PlanningContext
from klepaas.llm.planner import Planner
from klepaas.llm.rules.parser import RulesParser
from tests.llm.rules_kit import command_infos, load_corpus


@pytest.fixture(scope="module")
def rules() -> RulesParser:
    return RulesParser(command_infos())


def after(command: str, **args: object) -> PlanningContext:
    return PlanningContext(previous=Plan(command, dict(args), "rules"))


# ---- a rollback to a vague point in time: no one instant, so it is asked -----------------------
# (a precise one, "3일 전", "2 hours ago", becomes `rollback --at`: test_rules_rollback_at.py)


@pytest.mark.parametrize(
    "text",
    [
        "rollback web to the version from last week",
        "web 6월 1일 버전으로 롤백해줘",
        "api 어젯밤 버전으로 롤백",
        "checkout 몇 시간 전 버전으로 되돌려줘",
    ],
)
def test_a_rollback_to_a_vague_point_in_time_is_a_question_offering_the_history(
    rules: RulesParser, text: str
) -> None:
    outcome = rules.read(text)
    assert isinstance(outcome.outcome, Clarify)
    assert outcome.decided  # sure of the question: no provider second-guesses it into a rollback
    assert [p.command for p in outcome.outcome.candidates] == ["rollout_history"]
    assert "rollout_history" in outcome.outcome.question


def test_a_time_next_to_an_explicit_revision_does_not_block_the_rollback(rules: RulesParser) -> None:
    outcome = rules.parse("어제 배포 말고 리비전 5로 api 롤백")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("rollback", {"name": "api", "revision": 5})


def test_a_number_of_steps_back_is_not_a_point_in_time(rules: RulesParser) -> None:
    outcome = rules.parse("api 두 버전 전으로 롤백")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("rollback", {"name": "api", "steps_back": 2})


# ---- "50 more lines": more logs of the same app, never a relative scale ------------------------


@pytest.mark.parametrize(
    ("text", "previous_lines", "expected"),
    [
        ("50줄 더", None, 150),
        ("50줄 더 보여줘", 300, 350),
        ("50 more lines", 100, 150),
        ("show me 200 more lines", 50, 250),
        ("another 100 lines", None, 200),
        ("더 100줄", None, 200),
    ],
)
def test_more_lines_after_logs_shows_more_lines_of_the_same_app(
    rules: RulesParser, text: str, previous_lines: int | None, expected: int
) -> None:
    context = after(
        "logs", name="web", namespace="staging", **({"lines": previous_lines} if previous_lines else {})
    )
    outcome = rules.parse(text, context)
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == (
        "logs",
        {"name": "web", "namespace": "staging", "lines": expected},
    )


def test_more_lines_after_a_status_is_logs_of_that_app_not_a_scale(rules: RulesParser) -> None:
    outcome = rules.parse("50 more lines", after("status", name="api"))
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("logs", {"name": "api", "lines": 150})


def test_more_pods_is_still_a_relative_scale_question(rules: RulesParser) -> None:
    assert isinstance(rules.parse("two more pods for api"), Clarify)
    assert isinstance(rules.parse("api 두 개 더 늘려줘"), Clarify)


# ---- follow-ups about another app ---------------------------------------------------------


@pytest.mark.parametrize("text", ["api도", "api도 해줘", "api too"])
def test_another_app_with_too_repeats_the_previous_command_for_that_app(
    rules: RulesParser, text: str
) -> None:
    outcome = rules.parse(text, after("restart", name="web"))
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("restart", {"name": "api"})


@pytest.mark.parametrize("text", ["what about api?", "how about api", "api는?", "and api?"])
def test_what_about_another_app_repeats_a_read_in_the_same_namespace(rules: RulesParser, text: str) -> None:
    outcome = rules.parse(text, after("status", name="web", namespace="staging"))
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("status", {"name": "api", "namespace": "staging"})


@pytest.mark.parametrize("text", ["what about api?", "api는?"])
def test_what_about_another_app_after_a_write_is_a_question_not_a_write(
    rules: RulesParser, text: str
) -> None:
    outcome = rules.parse(text, after("restart", name="web"))
    assert isinstance(outcome, Clarify)
    assert [(p.command, p.args) for p in outcome.candidates] == [("restart", {"name": "api"})]


def test_two_apps_with_too_is_a_question(rules: RulesParser) -> None:
    assert isinstance(rules.parse("api랑 checkout도", after("restart", name="web")), Clarify)


# ---- words people type --------------------------------------------------------------------


def test_a_one_jamo_typo_in_a_korean_command_word_still_reads(rules: RulesParser) -> None:
    outcome = rules.parse("ledger 재시잭 해줘")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("restart", {"name": "ledger"})


def test_a_target_count_makes_내려줘_a_scale_and_not_a_stop(rules: RulesParser) -> None:
    outcome = rules.parse("스테이징의 recommender 0개로 내려줘")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == (
        "scale",
        {"name": "recommender", "namespace": "staging", "replicas": 0},
    )
    assert isinstance(rules.parse("recommender 내려줘"), Clarify)


def test_an_http_status_code_is_a_symptom(rules: RulesParser) -> None:
    outcome = rules.parse("gateway 503 떠요")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("status", {"name": "gateway"})


def test_a_word_of_a_phrase_after_on_is_not_a_namespace(rules: RulesParser) -> None:
    outcome = rules.parse("anything on fire right now?")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("overview", {})


def test_a_release_branch_named_before_the_repo_is_the_ref(rules: RulesParser) -> None:
    outcome = rules.parse("deploy the release/1.4 branch of acme/gateway")
    assert isinstance(outcome, Plan)
    # No app named: the deploy command finds the one deployed from that repo.
    assert outcome.args == {"repo": "acme/gateway", "ref": "release/1.4"}


# ---- safety: what the rules are not sure of never becomes a write ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "restart web and api please",
        "api 재시작하고 로그도 보여줘",
        "roll back checkout to last week's version",
        "restart everything",
        "scale up the api a bit",
    ],
)
def test_an_uncertain_write_from_the_rules_only_planner_is_a_question(rules: RulesParser, text: str) -> None:
    planner = Planner(command_infos(), rules)
    assert isinstance(planner.plan_rules(text), Clarify)


def test_the_rules_only_planner_never_plans_a_write_the_corpus_does_not_ask_for(rules: RulesParser) -> None:
    planner = Planner(command_infos(), rules)
    wrong = []
    for case in load_corpus():
        outcome = planner.plan_rules(case.text, case.context)
        write = isinstance(outcome, Plan) and rules.commands[outcome.command].risk != "read"
        if write and not case.check(outcome, rules.commands):
            wrong.append((case.text, outcome))
    assert wrong == []
