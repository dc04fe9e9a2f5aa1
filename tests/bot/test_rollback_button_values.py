"""The Rollback button's value: a rollout message's own, or the command button a failing app's
status carries; anything else (a forged click) is refused with a message, not an internal error."""

from __future__ import annotations

import json

import pytest

from klepaas.errors import UserError
from klepaas.handlers.slack.rollouts import parse_rollback_value


def test_a_rollout_messages_value_names_the_app_and_cluster() -> None:
    value = json.dumps({"name": "api", "namespace": "staging", "cluster": "gke"})
    assert parse_rollback_value(value) == ({"name": "api", "namespace": "staging"}, "gke")


def test_a_status_messages_command_button_is_read_too() -> None:
    value = json.dumps({"command": "rollback", "args": {"name": "api", "namespace": "staging"}})
    assert parse_rollback_value(value) == ({"name": "api", "namespace": "staging"}, None)


@pytest.mark.parametrize(
    "value", ["", "not json", "[]", json.dumps({"command": "restart", "args": {"name": "api"}}), "{}"]
)
def test_anything_else_is_refused_with_a_message(value: str) -> None:
    with pytest.raises(UserError, match="does not name an app"):
        parse_rollback_value(value)
