from __future__ import annotations

import io

from rich.console import Console

from klepaas.commands.result import (
    Actions,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Result,
    Table,
    Text,
)
from klepaas.console.render import inline_markup, render_result


def rendered(result: Result, width: int = 100) -> str:
    out = io.StringIO()
    render_result(result, Console(file=out, width=width, color_system=None, force_terminal=False))
    return out.getvalue()


def test_the_summary_comes_first_with_a_mark_for_its_status() -> None:
    assert rendered(Result(command="status", summary="nginx is healthy")) == "✓ nginx is healthy\n"
    assert rendered(Result(command="x", status="error", summary="not found")) == "✗ not found\n"
    assert rendered(Result(command="x", status="warning", summary="degraded")) == "! degraded\n"
    assert rendered(Result(command="x", status="info", summary="cancelled")) == "i cancelled\n"


def test_a_header_is_a_titled_rule() -> None:
    text = rendered(
        Result(command="status", summary="ok", blocks=[Header(text="Deployment nginx")]), width=40
    )
    assert text.splitlines()[1].startswith("Deployment nginx ─")


def test_fields_are_a_grid_of_labels_and_values() -> None:
    text = rendered(
        Result(command="s", summary="ok", blocks=[Fields(items=[("Replicas", "3/3"), ("Image", "nginx")])])
    )
    assert [line.rstrip() for line in text.splitlines()[1:]] == ["Replicas  3/3", "Image     nginx"]


def test_a_table_shows_its_title_columns_rows_and_how_many_were_left_out() -> None:
    table = Table(
        title="Pods", columns=["NAME", "STATUS"], rows=[["api-1", "Running"], ["api-2", "[red]x"]], omitted=7
    )
    lines = [
        line.rstrip()
        for line in rendered(Result(command="list_pods", summary="2 pods", blocks=[table])).splitlines()
    ]
    assert lines[1] == "Pods"
    assert lines[2].split() == ["NAME", "┃", "STATUS"]
    assert lines[4].split() == ["api-1", "│", "Running"]
    assert lines[5].split() == ["api-2", "│", "[red]x"]  # cell text is literal, never markup
    assert lines[6] == "and 7 more"


def test_code_is_shown_in_a_panel_with_its_title() -> None:
    text = rendered(
        Result(command="logs", summary="2 lines", blocks=[Code(text="line one\nline two", title="api-1")])
    )
    lines = text.splitlines()
    assert lines[1].startswith("╭─ api-1 ")
    assert "│ line one │" in lines[2] and "│ line two │" in lines[3]


def test_code_with_a_language_is_highlighted_and_keeps_its_text() -> None:
    text = rendered(
        Result(command="get_deployment", summary="yaml", blocks=[Code(text="replicas: 3", language="yaml")])
    )
    assert "replicas: 3" in text


def test_context_text_and_actions_are_plain_hints() -> None:
    text = rendered(
        Result(
            command="restart",
            summary="done",
            blocks=[
                Text(text="Restarted *nginx* in `staging`"),
                Context(text="namespace staging · cluster dev"),
                Actions(
                    buttons=[
                        Button(label="Roll back", action_id="rollback"),
                        Button(label="Logs", action_id="logs"),
                    ]
                ),
            ],
        )
    )
    assert text.splitlines()[1:] == [
        "Restarted nginx in staging",
        "namespace staging · cluster dev",
        "Actions (buttons in Slack): Roll back · Logs",
    ]


def test_slack_style_inline_markdown_becomes_styles_and_nothing_else() -> None:
    styled = inline_markup("a *b* `c` _d_ [bold]e[/bold]")
    assert styled.plain == "a b c d [bold]e[/bold]"
    assert [(span.start, span.end, str(span.style)) for span in styled.spans] == [
        (2, 3, "bold"),
        (4, 5, "cyan"),
        (6, 7, "italic"),
    ]


def test_a_header_that_repeats_the_summary_is_not_shown_twice() -> None:
    text = rendered(
        Result(
            command="scale",
            summary="api: 2 → 3 pods",
            blocks=[Header(text="api: 2 → 3 pods"), Context(text="dry run")],
        )
    )
    assert text.splitlines() == ["✓ api: 2 → 3 pods", "dry run"]
