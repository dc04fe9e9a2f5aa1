"""The App Home tab: recent activity and the commands, published in the person's language."""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError

from klepaas.commands.policy import RolePolicy
from klepaas.handlers.slack.blocks import build_view
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.handlers.slack.flow import command_list
from klepaas.llm.plan import Lang
from klepaas.llm.rules.lang import detect_lang
from klepaas.logging import get_logger
from klepaas.storage import AuditEntry

log = get_logger(__name__)

RECENT_ON_HOME = 15


async def publish_home(deps: SlackDeps, user: str, lang: Lang | None = None) -> None:
    """Publish `user`'s App Home: in `lang`, else in the language `home_lang` chooses."""
    entries = await asyncio.to_thread(deps.services.storage.audit.recent, RECENT_ON_HOME)
    lang = lang or await home_lang(deps, user)
    recent = [
        {
            "at": e.started_at.timestamp(),
            "at_text": e.started_at.strftime("%Y-%m-%d %H:%M UTC"),
            "actor": e.actor_id,
            "command": e.command or "-",
            "summary": _entry_summary(e),
            "outcome": e.outcome,
        }
        for e in entries[:RECENT_ON_HOME]
    ]
    person = deps.services.policy.person(user) if isinstance(deps.services.policy, RolePolicy) else None
    view = build_view(
        "app_home",
        user=user,
        roles=list(person.roles) if person else [],
        scopes=sorted(scope.value for scope in person.scopes) if person else [],
        recent=recent,
        recent_more=0,
        commands=command_list(deps),
        lang=lang,
    )
    await deps.replier.client.views_publish(user_id=user, view=view)


async def home_lang(deps: SlackDeps, user: str) -> Lang:
    """The language of `user`'s App Home, from the first of these that says:

    1. their Slack locale (`users.info` with `include_locale`): the language they chose for Slack
       itself, and the only signal for someone who has not asked anything yet ("ko-KR" → Korean,
       any other locale → English). Needs the `users:read` scope; without it, or if Slack fails,
       the next signal decides.
    2. their most recent request that ran (the command history): its reply was in the language
       they asked in, so the tab matches the conversation they last had with the bot.
    3. English.

    The tab is opened often and changes nothing: one Slack call and one history row, no cache.
    """
    locale = await _slack_locale(deps, user)
    if locale:
        return "ko" if locale.lower().startswith("ko") else "en"
    last = await asyncio.to_thread(deps.services.storage.history.recent, 1, actor_id=user)
    if last:
        return detect_lang(last[0].summary)
    return "en"


async def _slack_locale(deps: SlackDeps, user: str) -> str | None:
    try:
        response = await deps.replier.client.users_info(user=user, include_locale=True)
    except SlackApiError as exc:  # no users:read scope, an unknown user: the history decides
        log.info("slack.users_info_failed", user=user, error=str(exc.response.get("error")))
        return None
    info = response.get("user")
    locale = info.get("locale") if isinstance(info, dict) else None
    return locale if isinstance(locale, str) and locale else None


def _entry_summary(entry: AuditEntry) -> str:
    args = entry.arguments or {}
    parts = [str(args["name"])] if "name" in args else []
    if entry.namespace:
        parts.append(f"-n {entry.namespace}")
    if entry.error:
        parts.append(f"— {entry.error}")
    return " ".join(parts)
