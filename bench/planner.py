"""Planner figures: rules parse time, share decided by rules alone, accuracy, tool-definition size.

    .venv/bin/python bench/planner.py [--rounds N]

- parse time: every corpus utterance (tests/llm/corpus/*.yaml, held-out included) parsed N times
  with `RulesParser.read`; p50/p99/max over all parses (target p99 < 2 ms), and p50/p99 of each
  utterance's median (what the code costs, without a busy machine's scheduling and GC pauses);
- decided by rules: the share of utterances whose confidence is at or above `RULES_THRESHOLD`
  (the hybrid planner would not call a provider for them);
- accuracy: exact plans against the corpus expectations, each held-out batch reported separately
  (tests/llm/corpus/heldout*.yaml: written before the rules were tuned on them; the first-run
  score of each batch, measured before any rule change, is kept in `FIRST_RUN` below);
- wrong writes: utterances for which the rules-only planner (`Planner.plan_rules`: a plan at or
  above the threshold, else a question) would hand the pipeline a restart/scale/rollback/deploy
  the expectation does not ask for. Target 0: an uncertain write must become a question;
- tool tokens: the JSON of `tool_definitions(commands)` as sent to a provider, estimated at
  4 characters per token (tiktoken needs its encoding files from the internet, which a build
  machine may not have; for JSON tool schemas chars/4 is close to, and usually above, the
  cl100k/o200k count). Target ≤ 1,500.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from klepaas.llm.plan import Plan
from klepaas.llm.planner import Planner
from klepaas.llm.rules.parser import RULES_THRESHOLD, RulesParser
from klepaas.llm.tools import tool_definitions
from tests.llm.rules_kit import Case, command_infos, is_heldout, load_corpus

# Each held-out batch's score on the run before any rule was changed for it (the honest figure for
# text the rules have never seen); what the bench prints now is after tuning on the misses.
FIRST_RUN = {
    "heldout.yaml": "111 written before the parser",
    "heldout_3.yaml": "213/229 = 93.0% (Korean 111/120, English 102/109)",
    "heldout_4.yaml": (
        "249/271 = 91.9% (Korean 125/139, English 124/132), written blind; its 10 history, audit and"
        " whoami cases not counted: those commands were not yet the planner's"
    ),
    "heldout_5.yaml": "238/270 = 88.1% (Korean 134/158, English 104/112), written blind",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="times each utterance is parsed")
    options = parser.parse_args()

    commands = command_infos()
    rules = RulesParser(commands)
    cases = load_corpus(include_heldout=True)
    for case in cases:  # warm-up: compiled patterns, caches
        rules.read(case.text, case.context)

    per_utterance: list[list[float]] = [[] for _ in cases]
    for _ in range(options.rounds):
        for index, case in enumerate(cases):
            start = time.perf_counter()
            rules.read(case.text, case.context)
            per_utterance[index].append((time.perf_counter() - start) * 1000)
    timings = sorted(t for runs in per_utterance for t in runs)
    medians = sorted(statistics.median(runs) for runs in per_utterance)
    p50, p99 = _percentile(timings, 50), _percentile(timings, 99)
    steady_p50, steady_p99 = _percentile(medians, 50), _percentile(medians, 99)

    decided = sum(1 for case in cases if rules.read(case.text, case.context).confidence >= RULES_THRESHOLD)
    by_name = rules.commands
    main_cases = [c for c in cases if not is_heldout(c.file)]
    heldout = [c for c in cases if is_heldout(c.file)]
    main_ok = sum(1 for c in main_cases if c.check(rules.parse(c.text, c.context), by_name))
    held_ok = sum(1 for c in heldout if c.check(rules.parse(c.text, c.context), by_name))
    planner = Planner(commands, rules)
    wrong_writes = [c for c in cases if _wrong_write(planner, c)]

    payload = json.dumps(
        [t.as_dict() for t in tool_definitions(commands)], separators=(",", ":"), ensure_ascii=False
    )
    tokens = len(payload) / 4

    print(
        f"utterances            {len(cases)} ({len(main_cases)} corpus + {len(heldout)} held-out), "
        f"{options.rounds} rounds"
    )
    print(
        f"rules parse time      p50 {p50:.3f} ms   p99 {p99:.3f} ms   max {timings[-1]:.3f} ms   "
        "(every parse; target p99 < 2 ms)"
    )
    print(
        f"                      p50 {steady_p50:.3f} ms   p99 {steady_p99:.3f} ms   "
        "(each utterance's median over the rounds: without scheduler/GC noise)"
    )
    print(
        f"decided by rules      {decided}/{len(cases)} = {decided / len(cases):.1%} "
        f"(confidence >= {RULES_THRESHOLD})"
    )
    print(
        f"exact plans           corpus {main_ok}/{len(main_cases)} = {main_ok / len(main_cases):.1%}   "
        f"held-out {held_ok}/{len(heldout)} = {held_ok / max(len(heldout), 1):.1%}"
    )
    for file in sorted({c.file for c in heldout}):
        batch = [c for c in heldout if c.file == file]
        ok = sum(1 for c in batch if c.check(rules.parse(c.text, c.context), by_name))
        first = FIRST_RUN.get(file, "?")
        print(f"  held-out {file:16} {ok}/{len(batch)} = {ok / len(batch):.1%}   first run: {first}")
    print(
        f"wrong writes          {len(wrong_writes)}/{len(cases)} (rules-only planner plans a write/dangerous "
        "command not asked for; target 0)"
    )
    for case in wrong_writes:
        print(f"  [{case.file}] {case.text!r}: {planner.plan_rules(case.text, case.context)}")
    print(
        f"tool definitions      {len(commands)} tools, {len(payload)} chars of JSON ≈ {tokens:.0f} tokens "
        f"(chars/4; target <= 1500)"
    )
    return 0


def _wrong_write(planner: Planner, case: Case) -> bool:
    outcome = planner.plan_rules(case.text, case.context)
    if not isinstance(outcome, Plan) or planner.rules.commands[outcome.command].risk == "read":
        return False
    return not case.check(outcome, planner.rules.commands)


def _percentile(sorted_values: list[float], pct: float) -> float:
    index = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


if __name__ == "__main__":
    raise SystemExit(main())
