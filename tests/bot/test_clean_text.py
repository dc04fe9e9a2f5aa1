"""What the bot reads of a Slack message: the mention that addresses it goes, a mention of
someone else stays (`grant @eve operator` names Eve), links become what they show."""

from __future__ import annotations

import pytest

from klepaas.handlers.slack.translate import clean_text


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("<@U0BOT> status nginx", "status nginx"),
        ("<@U0BOT>, <@U0BOT2> restart api", "restart api"),
        ("<@U0BOT> grant <@U0EVE|eve> operator", "grant <@U0EVE> operator"),
        ("grant <@U0EVE> operator", "grant <@U0EVE> operator"),
        ("<@U0BOT> deploy <https://github.com/acme/web|acme/web> main", "deploy acme/web main"),
        ("<@U0BOT> logs a &amp; b &lt;x&gt;", "logs a & b <x>"),
    ],
)
def test_the_addressing_mention_goes_and_the_rest_reads_as_typed(text: str, read: str) -> None:
    assert clean_text(text) == read
