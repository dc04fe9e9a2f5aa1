"""Block Kit templates: hostile values survive, nothing is dropped, Slack's models accept every message."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest

from klepaas.commands.result import (
    Actions,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Image,
    Result,
    Table,
    Text,
)
from klepaas.handlers.slack.blocks import build_message, build_view, validate_blocks
from klepaas.templates.render import RenderError, mrkdwn, render_message, table_text, template_names

HOSTILE = 'api "prod" {{ x }} {% if %} \\ back\nslash </code> <!channel> & ```fence``` 한국어'


def _commands() -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            name=f"cmd{i}",
            usage=f"cmd{i} <name> [-n <namespace>]",
            help_en="Does a thing.",
            help_ko="무언가를 합니다.",
            risk=("read", "write", "dangerous")[i % 3],
        )
        for i in range(21)
    ]


def _full_result(text: str = "ok") -> Result:
    return Result(
        command="status",
        summary=text,
        blocks=[
            Header(text=text),
            Text(text=text),
            Fields(items=[(f"label {i} {text}", f"value {i} {text}") for i in range(23)]),
            Table(columns=["NAME", "READY"], rows=[[text, "1/1"], ["b", "0/1"]], omitted=3, title=text),
            Code(text=text, title=text),
            Context(text=text),
            Actions(buttons=[Button(label=text, action_id="rollback", value=text, style="danger")]),
            Image(path=text, title=text),
        ],
    )


def _alert_values(text: str) -> dict[str, Any]:
    from klepaas.handlers.alerts.model import AlertItem, AlertView, Enrichment, Target

    view = AlertView(
        key=text, source="watcher", status="firing", title=text, severity="critical", namespace=text,
        items=[AlertItem(name=f"{text} {i}", status="firing", summary=text, detail=text) for i in range(20)],
        target=Target(None, text, text),
    )
    enrichment = Enrichment(logs=text * 50, log_source=text, events=[text] * 8, last_change=text)
    buttons = [(text, "alert_restart", text, None), (text, "alert_silence", text, "danger")]
    return {"view": view, "enrichment": enrichment, "buttons": buttons, "silenced_text": text}


def _values(template: str, text: str = "ok", lang: str = "en") -> dict[str, Any]:
    """Values for each template, every free-text slot filled with `text`."""
    common: dict[str, Any] = {"lang": lang}
    values: dict[str, dict[str, Any]] = {
        "result": {**common, "result": _full_result(text), "asked_by": "U01REQUEST", "asked": text},
        "approval": {
            **common,
            "approval_id": "a1",
            "requester": "U01REQUEST",
            "plan_text": text,
            "command_line": text,
            "namespace": "staging",
            "risk": "write",
            "preview": text,
            "expires_at": time.time() + 900,
            "expires_text": text,
            "self_approve": False,
        },
        "approval_decided": {
            **common,
            "approval_id": "a1",
            "requester": "U01REQUEST",
            "plan_text": text,
            "command_line": text,
            "namespace": "staging",
            "status": "executed",
            "decided_by": "U02APPROVE",
            "outcome": _full_result(text),
            "rollback_value": "rb1",
        },
        "rollout_progress": {
            **common,
            "command": "restart",
            "name": text,
            "namespace": "staging",
            "phase": "progressing",
            "ready": 1,
            "updated": 2,
            "desired": 3,
            "message": text,
            "rollback_value": "rb1",
        },
        "error": {**common, "message": text, "hint": text},
        "help": {**common, "commands": _commands()},
        "alert": {**common, **_alert_values(text)},
        "github_deploy": {
            **common,
            "repo": text,
            "event": "push",
            "environment": "staging",
            "namespace": text,
            "deployment": text,
            "image": text,
            "sha": "0123456789abcdef0123456789abcdef01234567",
            "ref": text,
            "author": text,
            "title": text,
            "url": None,
            "phase": "success",
            "outcome": text,
        },
        "app_home": {
            **common,
            "user": "U01REQUEST",
            "roles": ["operator", text],
            "scopes": ["k8s:read", "k8s:write"],
            "recent_more": 4,
            "commands": _commands(),
            "recent": [
                SimpleNamespace(
                    at=time.time(),
                    at_text=text,
                    actor="U01REQUEST",
                    command="status",
                    summary=text,
                    outcome="success",
                )
                for _ in range(12)
            ],
        },
    }
    return values[template]


def _build(template: str, **values: Any) -> dict[str, Any]:
    return build_view(template, **values) if template == "app_home" else build_message(template, **values)


def _all_text(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def _mrkdwn_texts(value: Any) -> list[str]:
    """Every text Slack reads as mrkdwn (plain_text shows `<!channel>` literally, so it may stay)."""
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [t for v in value.values() for t in _mrkdwn_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _mrkdwn_texts(v)]
    return []


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("template", template_names())
def test_every_template_renders_blocks_that_slacks_own_models_accept(template: str, lang: str) -> None:
    message = _build(template, **_values(template, lang=lang))

    assert message["blocks"]
    validate_blocks(message["blocks"], limit=100 if template == "app_home" else 50)


@pytest.mark.parametrize("template", template_names())
def test_quotes_braces_and_newlines_in_values_survive_every_template(template: str) -> None:
    message = _build(template, **_values(template, text=HOSTILE))

    dumped = _all_text(message)
    if template not in {"help", "app_home"}:
        assert "{{ x }}" in dumped  # carried as data, never evaluated
    texts = [message.get("text", ""), *_mrkdwn_texts(message["blocks"])]
    assert not [t for t in texts if "<!channel>" in t]  # Slack control sequences from data are escaped


def test_a_header_with_quotes_keeps_its_exact_text() -> None:
    result = Result(command="status", summary="s", blocks=[Header(text='he said "hi" {x}')])

    message = build_message("result", result=result, asked_by=None, asked=None, lang="en")

    assert message["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": 'he said "hi" {x}', "emoji": True}}
    ]


def test_a_missing_value_raises_instead_of_rendering_an_empty_string() -> None:
    with pytest.raises(RenderError, match="hint"):
        render_message("error", message="boom", lang="en")


def test_rendering_without_a_language_raises() -> None:
    with pytest.raises(RenderError, match="needs lang"):
        render_message("error", message="boom", hint=None)


def test_an_unknown_template_raises() -> None:
    with pytest.raises(RenderError, match="no template named 'nope'"):
        render_message("nope", lang="en")


def test_an_unknown_approval_status_raises_rather_than_rendering_a_guess() -> None:
    values = _values("approval_decided")
    values["status"] = "maybe"

    with pytest.raises(RenderError, match="unknown approval status"):
        render_message("approval_decided", **values)


def test_twenty_three_fields_become_three_sections_and_none_is_lost() -> None:
    result = Result(command="c", summary="s", blocks=[Fields(items=[(f"k{i}", f"v{i}") for i in range(23)])])

    blocks = build_message("result", result=result, asked_by=None, asked=None, lang="en")["blocks"]

    assert [len(b["fields"]) for b in blocks] == [10, 10, 3]
    texts = [f["text"] for b in blocks for f in b["fields"]]
    assert texts == [f"*k{i}*\nv{i}" for i in range(23)]


def test_a_result_without_blocks_shows_its_summary() -> None:
    blocks = build_message(
        "result", result=Result(command="c", summary="all good"), asked_by=None, asked=None, lang="en"
    )["blocks"]

    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "all good"}}]


def test_a_long_table_fits_the_text_limit_and_ends_with_and_n_more() -> None:
    rows = [[f"pod-{i:04d}-" + "x" * 40, "Running", "1/1"] for i in range(500)]
    result = Result(
        command="list_pods",
        summary="s",
        blocks=[Table(columns=["NAME", "STATUS", "READY"], rows=rows, omitted=100)],
    )

    blocks = build_message("result", result=result, asked_by=None, asked=None, lang="en")["blocks"]

    sections = [b for b in blocks if b["type"] == "section"]
    assert 1 <= len(sections) <= 3
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    shown = sum(s["text"]["text"].count("pod-") for s in sections)
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"and {500 - shown + 100} more"}],
    }


def test_a_table_lines_up_its_columns() -> None:
    table = table_text(["NAME", "READY"], [["api", "1/1"], ["worker-long", "0/2"]])

    assert table.chunks == ["```\nNAME         READY\napi          1/1\nworker-long  0/2\n```"]
    assert table.more == 0


def test_long_logs_keep_the_newest_lines_within_the_text_limit() -> None:
    logs = "\n".join(f"line {i}" for i in range(5000))
    result = Result(command="logs", summary="s", blocks=[Code(text=logs, title="api")])

    text = build_message("result", result=result, asked_by=None, asked=None, lang="en")["blocks"][0]["text"][
        "text"
    ]

    assert len(text) <= 3000
    assert text.startswith("*api*\n```\n…\n")
    assert text.endswith("line 4999\n```")


def test_replies_are_in_the_users_language() -> None:
    values = _values("approval", lang="ko")

    message = build_message("approval", **values)

    assert message["blocks"][0]["text"]["text"] == "승인 요청"
    buttons = message["blocks"][-1]["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("승인", "approve", "a1"),
        ("거절", "deny", "a1"),
    ]


def test_a_block_slack_does_not_know_is_refused() -> None:
    with pytest.raises(RenderError, match="unknown type"):
        validate_blocks([{"type": "bogus"}])


def test_a_block_with_a_key_slack_would_drop_is_refused() -> None:
    with pytest.raises(RenderError, match="unchanged"):
        validate_blocks([{"type": "divider", "colour": "red"}])


def test_a_section_over_slacks_text_limit_is_refused() -> None:
    with pytest.raises(RenderError, match="3000"):
        validate_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])


def test_more_than_fifty_blocks_is_refused() -> None:
    result = Result(command="c", summary="s", blocks=[Text(text=str(i)) for i in range(51)])

    with pytest.raises(RenderError, match="51 blocks"):
        render_message("result", result=result, asked_by=None, asked=None, lang="en")


def test_a_user_id_becomes_a_mention_but_other_text_does_not() -> None:
    message = build_message(
        "approval_decided",
        **{**_values("approval_decided"), "decided_by": "<!here>", "outcome": None, "rollback_value": None},
    )

    first = message["blocks"][0]["text"]["text"]
    assert "<@U01REQUEST>" in first
    assert "&lt;!here&gt;" in first


def test_a_mention_of_one_user_stays_a_mention_while_pings_and_links_stay_text() -> None:
    result = Result(
        command="grant",
        summary="<@U0EVE> now has the role operator.",
        blocks=[Text(text="<@U0EVE> now has the role operator. <!here> <!subteam^S1> <https://x.io|y>")],
    )

    message = build_message("result", result=result, asked_by=None, asked=None, lang="en")
    texts = [message.get("text", ""), *_mrkdwn_texts(message["blocks"])]

    assert any("<@U0EVE> now has the role operator." in t for t in texts)
    assert all("<!here>" not in t and "<!subteam" not in t and "<https://" not in t for t in texts)
    assert mrkdwn("<@U0EVE|eve>") == "&lt;@U0EVE|eve&gt;"  # only the plain form, as we write it
