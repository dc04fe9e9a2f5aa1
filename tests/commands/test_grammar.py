from __future__ import annotations

from typing import Any

import pytest

from klepaas.commands.grammar import Grammar, UsageError
from klepaas.commands.registry import Registry
from tests.commands.fake_registry import build_fake_registry


@pytest.fixture(scope="module")
def grammar() -> Grammar:
    return Grammar(build_fake_registry())


def parsed(grammar: Grammar, text: str) -> tuple[str, dict[str, Any], str | None]:
    structured = grammar.parse(text)
    assert structured is not None, f"{text!r} was not recognised as a command"
    return structured.spec.name, structured.plan.args, structured.cluster


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("status nginx", "status", {"name": "nginx"}),
        ("restart nginx -n staging", "restart", {"name": "nginx", "namespace": "staging"}),
        ("restart nginx --namespace=staging", "restart", {"name": "nginx", "namespace": "staging"}),
        ("scale api 3 -n staging", "scale", {"name": "api", "replicas": 3, "namespace": "staging"}),
        ("scale api --replicas 0", "scale", {"name": "api", "replicas": 0}),
        ("logs api --lines 100 --previous", "logs", {"name": "api", "lines": 100, "previous": True}),
        ("logs api -p -c sidecar", "logs", {"name": "api", "previous": True, "container": "sidecar"}),
        ("logs api --all-pods --no-previous", "logs", {"name": "api", "all_pods": True, "previous": False}),
        ("rollback api --to 3", "rollback", {"name": "api", "revision": 3}),
        ("rollback api --steps 2", "rollback", {"name": "api", "steps_back": 2}),
        ("rollback api --commit abc1234", "rollback", {"name": "api", "commit": "abc1234"}),
        ("rollback api", "rollback", {"name": "api"}),
        ("deploy api image=nginx:1.27", "deploy", {"name": "api", "image": "nginx:1.27"}),
        (
            "deploy api --image nginx:1.27 -n staging",
            "deploy",
            {"name": "api", "image": "nginx:1.27", "namespace": "staging"},
        ),
        ("list pods -n all", "list_pods", {"namespace": "*"}),
        ("list pods -A", "list_pods", {"namespace": "*"}),
        ("list_pods -n kube-system", "list_pods", {"namespace": "kube-system"}),
        ("list namespaces", "list_namespaces", {}),
        ("rollout history api", "rollout_history", {"name": "api"}),
        ("overview", "overview", {}),
        ("help", "help", {}),
        ("help scale", "help", {"command": "scale"}),
        ("STATUS Nginx", "status", {"name": "nginx"}),
        ("status 'nginx'", "status", {"name": "nginx"}),
    ],
)
def test_each_structured_form_parses_to_its_command_and_arguments(
    grammar: Grammar, text: str, command: str, args: dict[str, Any]
) -> None:
    assert parsed(grammar, text) == (command, args, None)


def test_the_cluster_option_is_taken_anywhere_and_kept_apart_from_the_arguments(grammar: Grammar) -> None:
    assert parsed(grammar, "status nginx --cluster prod") == ("status", {"name": "nginx"}, "prod")
    assert parsed(grammar, "--cluster prod scale api 2") == ("scale", {"name": "api", "replicas": 2}, "prod")
    assert parsed(grammar, "list pods --cluster=dev -n all") == ("list_pods", {"namespace": "*"}, "dev")


def test_text_that_does_not_start_with_a_command_is_not_structured(grammar: Grammar) -> None:
    assert grammar.parse("nginx 상태 보여줘") is None
    assert grammar.parse("what's wrong with api?") is None  # an apostrophe is not a shlex error here
    assert grammar.parse("please restart nginx") is None
    assert grammar.parse("") is None
    assert not grammar.is_structured("list")  # "list" alone names no command


def test_the_parsed_arguments_are_validated_models(grammar: Grammar) -> None:
    structured = grammar.parse("scale api 3")
    assert structured is not None
    assert structured.args.model_dump() == {"name": "api", "namespace": None, "replicas": 3}
    assert structured.plan.source == "structured"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("scale api", "replicas is missing"),
        ("scale api three", "replicas: Input should be a valid integer"),
        ("scale api 3 4", "unexpected '4'"),
        ("status", "name is missing"),
        ("status nginx --colour red", "unknown option --colour"),
        ("restart nginx -n", "-n needs a value"),
        ("restart nginx -n a -n b", "namespace is given twice"),
        ("rollback api --to 3 --steps 2", "at most one of revision, steps_back, commit"),
        ("rollback api --commit xyz", "not a commit id"),
        ("status Bad_Name!", "not a valid name"),
        ("status 'nginx", "is not closed"),
        ("status nginx --cluster", "--cluster needs a cluster"),
        ("logs api --lines 0", "lines: Input should be greater than or equal to 1"),
    ],
)
def test_bad_syntax_names_what_was_wrong_and_gives_the_usage(
    grammar: Grammar, text: str, problem: str
) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.parse(text)
    error = caught.value
    assert problem in error.problem
    assert error.usage == build_fake_registry().get(error.command).usage
    assert str(error) == f"{error.problem} — usage: {error.usage}"


def test_the_usage_names_positionals_and_flags(grammar: Grammar) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.parse("scale")
    assert caught.value.usage == "scale <name> <replicas> [-n <namespace>]"


def test_the_longest_command_phrase_wins() -> None:
    registry: Registry = build_fake_registry()
    grammar = Grammar(registry)
    found = grammar.match("rollout history api")
    assert found is not None
    assert (found[0].name, found[1]) == ("rollout_history", 2)


@pytest.mark.parametrize("space", ["\u00a0", "\u3000", "\u2009"])
def test_a_no_break_or_ideographic_space_separates_words_as_a_space_does(
    grammar: Grammar, space: str
) -> None:
    text = f"scale{space}api 3{space}-n{space}staging"
    assert parsed(grammar, text) == ("scale", {"name": "api", "replicas": 3, "namespace": "staging"}, None)


def test_an_unclosed_quote_is_named_in_plain_words(grammar: Grammar) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.parse("restart nginx' OR 1=1 --")
    assert caught.value.problem == "a quotation mark (' or \") is not closed"


def test_quoted_arguments_still_keep_their_spaces(grammar: Grammar) -> None:
    assert parsed(grammar, "restart 'nginx' -n \"staging\"") == (
        "restart", {"name": "nginx", "namespace": "staging"}, None
    )


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("scale api to 3", "scale", {"name": "api", "replicas": 3}),
        ("scale api 3 replicas -n staging", "scale", {"name": "api", "replicas": 3, "namespace": "staging"}),
        ("scale api 3 pods", "scale", {"name": "api", "replicas": 3}),
    ],
)
def test_english_filler_around_values_is_read_as_english(
    grammar: Grammar, text: str, command: str, args: dict[str, Any]
) -> None:
    assert parsed(grammar, text) == (command, args, None)


def test_to_before_the_first_value_is_still_an_error(grammar: Grammar) -> None:
    with pytest.raises(UsageError):  # "to" is then the name, and "3" one value too many
        grammar.parse("scale to api 3")
