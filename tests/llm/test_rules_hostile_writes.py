"""Writes the rules must not plan: mentioned but not ordered, garbled names, misread numbers and
tags, rollback moments that cannot be used, bulk requests, text read only in part."""

from __future__ import annotations

import pytest

from klepaas.llm.plan import Clarify, Plan, PlanningContext
from klepaas.llm.rules.normalize import normalize, typed_tag
from klepaas.llm.rules.parser import MAX_RULES_CHARS, RulesParser
from tests.llm.rules_kit import command_infos

APPS = PlanningContext(app_names=["nginx", "api", "payment", "nginx-canary-v2", "worker"])
WRITES = {"restart", "scale", "rollback", "deploy"}


@pytest.fixture(scope="module")
def rules() -> RulesParser:
    return RulesParser(command_infos())


def _parse(rules: RulesParser, text: str) -> Plan | Clarify:
    return rules.parse(text, APPS)


def _no_write(outcome: Plan | Clarify) -> bool:
    if isinstance(outcome, Plan):
        return outcome.command not in WRITES
    return all(c.command not in WRITES for c in outcome.candidates)


# ---- 1. negated, cancelled, asked about, conditional ------------------------------------------

NEGATED = [
    "don't restart nginx", "do not restart nginx", "please don't scale api to 0 in staging",
    "never roll back payment", "nginx 재시작하지 마", "nginx 재시작 하지마", "nginx 롤백하지 마",
    "nginx 재시작 취소", "재시작 말고 상태만 보여줘", "worker 늘리지 마", "cancel the restart of worker",
    "api 배포 금지", "worker 재배포 취소",
]
NOT_ORDERED = [
    "should I restart nginx?", "how do I restart nginx", "nginx 재시작해도 돼?",
    "restart nginx if it is unhealthy", "nginx 죽으면 재시작해줘", "is it ok to roll back api?",
    "api 롤백했어?",
    "scale worker to 3 when traffic drops", "에러 나면 api 롤백해줘", "worker restarted",
    "restart nginx in 10 minutes",
]


@pytest.mark.parametrize("text", NEGATED)
def test_a_negated_or_cancelled_write_is_never_planned_nor_offered(rules: RulesParser, text: str) -> None:
    reading = rules.read(text, APPS)
    assert isinstance(reading.outcome, Clarify)
    assert _no_write(reading.outcome)
    assert reading.decided  # a sure question: no provider is asked to second-guess it


@pytest.mark.parametrize("text", NOT_ORDERED)
def test_a_write_asked_about_or_made_conditional_is_a_question(rules: RulesParser, text: str) -> None:
    reading = rules.read(text, APPS)
    assert _no_write(reading.outcome)  # a question, or a look at the app ("is it ok …": its status)
    assert reading.best is None or reading.best.command not in WRITES


@pytest.mark.parametrize(
    "text", ["did someone restart nginx?", "has anyone deployed nginx today?", "did you roll back nginx?"]
)
def test_asking_whether_someone_did_a_write_shows_the_history(rules: RulesParser, text: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("history", {"name": "nginx"})


@pytest.mark.parametrize(
    ("text", "name"),
    [("nginx 말고 api 재시작", "api"), ("restart api, not nginx", "api"),
     ("payment 대신 worker 재시작", "worker")],
)
def test_the_app_said_not_to_be_meant_is_never_the_one_written(
    rules: RulesParser, text: str, name: str
) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Clarify) or outcome.args.get("name") == name


@pytest.mark.parametrize(
    "text",
    ["restart nginx", "can you restart nginx?", "가능하면 nginx 재시작해줘", "nginx 재시작 해볼까",
     "nginx 재시작해 주시면 감사하겠습니다", "restart nginx when you can",
     "nginx is not working, restart it"],
)
def test_plain_and_polite_orders_stay_orders(rules: RulesParser, text: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("restart", {"name": "nginx"})


def test_another_write_ordered_beside_a_refused_one_stands(rules: RulesParser) -> None:
    outcome = _parse(rules, "어제 배포 말고 리비전 5로 api 롤백")
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("rollback", {"name": "api", "revision": 5})


# ---- 2. image tags keep their case ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "image"),
    [
        ("deploy nginx to nginx:V1.2-RC1", "nginx:V1.2-RC1"),
        ("nginx를 nginx:V1.2-RC1로 배포해줘", "nginx:V1.2-RC1"),
        ("nginx에 nginx:LATEST 배포", "nginx:LATEST"),
        ("update nginx to ghcr.io/acme/api:RC1", "ghcr.io/acme/api:RC1"),
        ("deploy nginx to registry.local:5000/team/nginx:Fix-9", "registry.local:5000/team/nginx:Fix-9"),
    ],
)
def test_an_image_tag_keeps_the_case_it_was_typed_in(rules: RulesParser, text: str, image: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Plan) and outcome.command == "deploy"
    assert outcome.args["image"] == image


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("deploy api Release-2 branch", "Release-2"),
        ("ship cart-api V5.0.0-RC1 to prod", "V5.0.0-RC1"),
        ("acme/web 의 Feature/HLS 브랜치 배포", "Feature/HLS"),
    ],
)
def test_a_git_ref_keeps_the_case_it_was_typed_in(rules: RulesParser, text: str, ref: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Plan) and outcome.command == "deploy"
    assert outcome.args["ref"] == ref


def test_only_the_tag_keeps_its_case_the_repository_is_lowercase() -> None:
    assert typed_tag("deploy Acme/Web:V2 now", "acme/web:v2") == "acme/web:V2"
    assert typed_tag("deploy nginx", "nginx") == "nginx"


# ---- 3. numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "replicas"),
    [("nginx 를 2.0개로", 2), ("scale nginx to 1,000", 1000), ("scale nginx to 10,000", 10000),
     ("nginx 1,000개로", 1000), ("worker 레플리카 3.00으로", 3)],
)
def test_an_exact_decimal_or_grouped_count_is_read_as_its_value(
    rules: RulesParser, text: str, replicas: int
) -> None:
    outcome = _parse(rules, text)
    if isinstance(outcome, Plan):
        assert (outcome.command, outcome.args["replicas"]) == ("scale", replicas)
    else:  # above the command's maximum: its own clear message
        assert str(replicas) in outcome.question or "replicas" in outcome.question


@pytest.mark.parametrize(
    "text",
    ["nginx 1.5개로 줄여줘", "nginx 0.5개", "nginx 3.5개로", "scale nginx to 1 000", "scale nginx by 2",
     "scale nginx +2", "scale worker to 2.5 replicas"],
)
def test_a_count_that_is_not_one_whole_number_is_asked_for(rules: RulesParser, text: str) -> None:
    assert isinstance(_parse(rules, text), Clarify)


def test_grouped_thousands_are_one_number_but_lists_stay_lists() -> None:
    assert " 1000 " in normalize("scale nginx to 1,000")
    assert " api , web " in normalize("api,web")
    assert " +2 " in normalize("scale nginx +2") and "+" not in normalize("c + d")


# ---- 4. rollback moments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["nginx 내일 버전으로 롤백", "rollback nginx to 10 minutes from now", "nginx 2099년 버전으로 롤백",
     "rollback nginx to revision -1", "api 3일 후 버전으로 되돌려", "roll back api by 2"],
)
def test_a_rollback_target_that_cannot_be_used_is_asked_for(rules: RulesParser, text: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Clarify)
    assert _no_write(outcome)


# ---- 5. garbled names and bulk requests -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["restart nginx%2f..", "restart .nginx", "restart nginx*", "restart nginx\\", "nginx$ 재시작",
     "scale nginx| to 3", "rollback {nginx}", "staging 전부 재시작해줘", "restart everything in staging",
     "restart all apps"],
)
def test_a_garbled_name_or_a_bulk_request_is_never_written(rules: RulesParser, text: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Clarify)
    assert _no_write(outcome)


@pytest.mark.parametrize(
    "text",
    ["restart `nginx`", "restart nginx!!!", "restart *nginx*", 'restart "nginx"', "restart nginx.",
     "nginx를 재시작해줘~", "restart nginx's pods", "\x1b[31mnginx\x1b[0m 재시작",
     "restart all pods of nginx"],
)
def test_a_name_in_ordinary_chat_formatting_is_still_the_name(rules: RulesParser, text: str) -> None:
    outcome = _parse(rules, text)
    assert isinstance(outcome, Plan)
    assert (outcome.command, outcome.args) == ("restart", {"name": "nginx"})


def test_a_whole_terminal_escape_sequence_is_removed() -> None:
    assert normalize("\x1b[31mnginx\x1b[0m") == " nginx "


# ---- 6. text longer than the rules read ---------------------------------------------------------


def test_a_long_message_is_cut_at_a_word_and_no_write_is_read_from_the_cut(rules: RulesParser) -> None:
    for pad in range(MAX_RULES_CHARS - 25, MAX_RULES_CHARS + 5):
        text = ("please look at this " * 40)[:pad] + " restart nginx-canary-v2 now"
        assert len(text) > MAX_RULES_CHARS
        reading = rules.read(text, APPS)
        assert not reading.decided or _no_write(reading.outcome), pad
        offered = [reading.outcome] if isinstance(reading.outcome, Plan) else reading.outcome.candidates
        # never another app than the one typed, and a write only when all that was said was read
        assert all(p.args.get("name") == "nginx-canary-v2" for p in offered if p.command in WRITES), pad
        if "nginx-canary-v2 now" not in text[:MAX_RULES_CHARS]:
            assert _no_write(reading.outcome), pad


def test_a_long_message_that_only_repeats_itself_is_left_undecided(rules: RulesParser) -> None:
    reading = rules.read("please restart api " * 3000)
    assert not reading.decided


# ---- small things the probe found ---------------------------------------------------------------


def test_an_app_named_twice_is_one_app(rules: RulesParser) -> None:
    outcome = _parse(rules, "restart nginx and nginx")
    assert isinstance(outcome, Plan) and (outcome.command, outcome.args) == ("restart", {"name": "nginx"})


def test_a_value_out_of_range_is_explained_in_the_language_asked_in(rules: RulesParser) -> None:
    korean = _parse(rules, "nginx 로그 50000줄")
    english = _parse(rules, "nginx logs 50000 lines")
    assert isinstance(korean, Clarify) and korean.question.endswith("lines: 2000 이하여야 해요")
    assert isinstance(english, Clarify) and english.question.endswith("less than or equal to 2000")
