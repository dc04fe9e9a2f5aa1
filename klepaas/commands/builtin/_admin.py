"""What the admin commands share: the role policy and the database from the context, and a few
formatting helpers. Each admin command is an ordinary registry command: checked by the policy
(its scope), audited by the pipeline, rendered by the generic result template."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from klepaas.commands.context import CommandContext
from klepaas.commands.policy import RolePolicy
from klepaas.errors import UserError
from klepaas.storage import Storage

_USER = re.compile(r"^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")


def role_policy(ctx: CommandContext) -> RolePolicy:
    if not isinstance(ctx.policy, RolePolicy):
        raise UserError("Roles and bindings are not managed here (no role policy is configured).")
    return ctx.policy


def storage(ctx: CommandContext) -> Storage:
    if ctx.storage is None:
        raise UserError("This needs the database, and none is configured here.")
    return ctx.storage


def slack_user(value: str) -> str:
    """`<@U024BE7LH>`, `<@U024BE7LH|jane>`, `@U024BE7LH` or `U024BE7LH` → `U024BE7LH`."""
    found = _USER.match(value.strip())
    if found is None:
        raise ValueError(f"{value!r} is not a Slack user (mention them, e.g. @jane, or give the U… id)")
    return found.group(1)


def when(value: datetime | float) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ko(ctx: CommandContext) -> bool:
    return ctx.lang == "ko"
