"""The App Home tab speaks the person's language: their Slack locale, else the language of their
last request, else English; through the local Slack and the real bot."""

from __future__ import annotations

import json
from typing import Any

from klepaas.bot.runner import BotRunner
from tests.fakes.slack_server import FakeSlack


def _header(view: dict[str, Any], index: int) -> str:
    return str([b for b in view["blocks"] if b["type"] == "header"][index]["text"]["text"])


async def _home_of(slack: FakeSlack, user: str) -> dict[str, Any]:
    before = len(slack.views)
    await slack.send_app_home_opened(user=user)
    published = await slack.wait_for(lambda: slack.views[before:], what="views.publish")
    assert published[0]["user_id"] == user
    view: dict[str, Any] = published[0]["view"]
    return view


async def test_a_person_whose_slack_speaks_korean_gets_a_korean_home(
    slack: FakeSlack, bot: BotRunner
) -> None:
    slack.user_locales["U0MINJI"] = "ko-KR"

    view = await _home_of(slack, "U0MINJI")

    assert (_header(view, 1), _header(view, 2)) == ("최근 활동", "명령어")
    assert "<@U0MINJI> 님, 안녕하세요!" in json.dumps(view, ensure_ascii=False)
    [asked] = [c for c in slack.calls if c.method == "users.info"]
    assert asked.args["user"] == "U0MINJI" and asked.args["include_locale"] in ("1", "true", "True")


async def test_a_person_whose_slack_speaks_english_gets_an_english_home_whatever_they_asked_in(
    slack: FakeSlack, bot: BotRunner
) -> None:
    slack.user_locales["U0ALICE"] = "en-US"
    await slack.send_dm("api 상태 알려줘", user="U0ALICE", channel="D0ALICE")
    await slack.wait_for(lambda: slack.channel_messages("D0ALICE"), what="the Korean answer")

    view = await _home_of(slack, "U0ALICE")

    assert (_header(view, 1), _header(view, 2)) == ("Recent activity", "Commands")


async def test_without_a_slack_locale_the_home_speaks_the_language_of_the_last_request(
    slack: FakeSlack, bot: BotRunner
) -> None:
    await slack.send_dm("api 상태 알려줘", user="U0JIHO", channel="D0JIHO")
    await slack.wait_for(lambda: slack.channel_messages("D0JIHO"), what="the Korean answer")
    korean = await _home_of(slack, "U0JIHO")

    await slack.send_slash_command("status api -n staging", user="U0JIHO", channel="C0DEV")
    await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the English answer")
    english = await _home_of(slack, "U0JIHO")

    assert _header(korean, 1) == "최근 활동"
    assert _header(english, 1) == "Recent activity"


async def test_someone_new_without_a_slack_locale_gets_an_english_home(
    slack: FakeSlack, bot: BotRunner
) -> None:
    view = await _home_of(slack, "U0NEW")

    assert (_header(view, 1), _header(view, 2)) == ("Recent activity", "Commands")
