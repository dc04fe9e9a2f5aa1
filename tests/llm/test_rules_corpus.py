"""The rules alone against the utterance corpus (tests/llm/corpus/*.yaml).

Run with `-s` to see the accuracy per command and every miss:
    .venv/bin/pytest tests/llm/test_rules_corpus.py -s
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from klepaas.llm.rules.parser import RulesParser
from tests.llm.rules_kit import Case, command_infos, describe_outcome, load_corpus

REQUIRED_ACCURACY = 0.97
HELDOUT_REQUIRED_ACCURACY = 0.90
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def parser() -> RulesParser:
    return RulesParser(command_infos())


def _score(parser: RulesParser, cases: list[Case], title: str) -> float:
    commands = parser.commands
    per_command: Counter[str] = Counter()
    per_command_ok: Counter[str] = Counter()
    misses: list[str] = []
    for case in cases:
        outcome = parser.parse(case.text, case.context)
        expected = case.expectation(commands)
        key = "clarify" if expected is None else expected[0]
        per_command[key] += 1
        if case.check(outcome, commands):
            per_command_ok[key] += 1
        else:
            misses.append(
                f"  [{case.file}] {case.text!r}\n      want {case.expected(commands)}\n"
                f"      got  {describe_outcome(outcome)}"
            )
    total_ok = sum(per_command_ok.values())
    accuracy = total_ok / len(cases)
    korean = sum(1 for case in cases if _HANGUL.search(case.text))
    english = len(cases) - korean
    print(f"\n{title}: {total_ok}/{len(cases)} exact = {accuracy:.1%} ({korean} Korean, {english} English)")
    for key in sorted(per_command):
        ok, total = per_command_ok[key], per_command[key]
        print(f"  {key:18} {ok:3}/{total:3}  {ok / total:6.1%}")
    if misses:
        print("misses:\n" + "\n".join(misses))
    return accuracy


def test_the_corpus_is_large_and_mostly_korean() -> None:
    cases = load_corpus(include_heldout=True)
    korean = sum(1 for case in cases if _HANGUL.search(case.text))
    assert len(cases) >= 400
    assert 0.55 <= korean / len(cases) <= 0.65


def test_every_command_appears_in_the_corpus() -> None:
    expected = {case.command for case in load_corpus(include_heldout=True) if not case.clarify}
    assert {info.name for info in command_infos()} <= expected


def test_rules_alone_plan_at_least_97_percent_of_the_corpus_exactly(parser: RulesParser) -> None:
    accuracy = _score(parser, load_corpus(), "corpus (rules alone)")
    assert accuracy >= REQUIRED_ACCURACY


def test_rules_alone_plan_most_of_the_held_out_utterances_exactly(parser: RulesParser) -> None:
    accuracy = _score(parser, load_corpus(only_heldout=True), "held-out (rules alone)")
    assert accuracy >= HELDOUT_REQUIRED_ACCURACY
