"""`silence_alert <group-key or app> [--for 1h]`: mute an alert group (or every alert about an app).

The alert message's Silence 1h button is this command, run by whoever clicked, so policy decides
who may silence (a write) and the audit log records it. A group key is the `k` of an alert's
buttons (`am:...` from Alertmanager, `watch:...` from the cluster watcher); a plain name is an app
in the namespace. The notifier skips a silenced key until the time is up.

Policy decides on the namespace of the group being silenced, not the channel's default: a group
key typed without `-n` takes the namespace the key names (`watch:CLUSTER/NS/APP/REASON`, or
Alertmanager's `namespace="NS"` group label) before policy sees the arguments; when it runs, the
group is looked up (an unknown key is refused) and a namespace that is not the group's own is
refused with the command to type instead, so nothing is silenced on another namespace's say-so.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from klepaas.commands.builtin._admin import ko, storage, when
from klepaas.commands.context import CommandContext
from klepaas.commands.grammar import ALL_NAMESPACES
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Fields, Result
from klepaas.errors import UserError
from klepaas.storage.alerts import AlertMessages, app_silence_key

_AM_NAMESPACE = re.compile(r'(?:^|[{,\s])namespace="([^"]+)"')
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SECONDS = 7 * 86400


def duration_seconds(text: str) -> int:
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise ValueError("a duration is a number with s, m, h or d, e.g. 30m or 1h")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 60 <= seconds <= MAX_SECONDS:
        raise ValueError("a silence lasts from 1m to 7d")
    return seconds


class SilenceAlertArgs(Args):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    target: str = Field(
        min_length=1, max_length=300,
        description="The alert's group key (am:... or watch:...) or an app (deployment) name",
    )
    namespace: str | None = Field(None, description="The app's namespace (for an app name)")
    duration: str = Field("1h", alias="for", description="How long, e.g. 30m, 1h, 1d (at most 7d)")

    @field_validator("duration")
    @classmethod
    def _valid_duration(cls, value: str) -> str:
        duration_seconds(value)
        return value

    @model_validator(mode="after")
    def _group_namespace(self) -> SilenceAlertArgs:
        if self.namespace is None and ":" in self.target:
            self.namespace = namespace_in_key(self.target)
        return self


def namespace_in_key(key: str) -> str | None:
    """The namespace an alert group key names: the watcher's always, Alertmanager's when it groups
    by namespace (its groupKey holds the group labels)."""
    if key.startswith("watch:"):
        parts = key.removeprefix("watch:").split("/")
        return parts[1] or None if len(parts) == 4 else None
    if key.startswith("am:"):
        match = _AM_NAMESPACE.search(key)
        return match.group(1) if match else None
    return None


async def run_silence_alert(ctx: CommandContext, args: SilenceAlertArgs) -> Result:
    if ":" in args.target:
        key, what = args.target, "this alert"
        await _check_group(ctx, key, args.namespace)
    else:
        if args.namespace in (None, ALL_NAMESPACES):
            raise UserError("Silence an app in one namespace.", hint="silence_alert api -n staging")
        assert args.namespace is not None
        key, what = app_silence_key(args.namespace, args.target), f"alerts about {args.target}"
    until = time.time() + duration_seconds(args.duration)
    repo, by = AlertMessages(storage(ctx).engine), ctx.actor.id
    await asyncio.to_thread(lambda: repo.silence(key, until=until, by=by))
    if ko(ctx):
        summary = f"<@{by}>님이 {when(until)}까지 알림을 껐습니다"
    else:
        summary = f"<@{by}> silenced {what} until {when(until)}"
    return Result(
        command="silence_alert",
        status="success",
        summary=summary,
        blocks=[Fields(items=[("Key" if not ko(ctx) else "키", f"`{key}`")])],
        data={"key": key, "until": until, "silenced_by": by},
    )


async def _check_group(ctx: CommandContext, key: str, namespace: str | None) -> None:
    """The group exists, and `namespace` (what policy was checked against) is its own."""
    repo = AlertMessages(storage(ctx).engine)
    group = await asyncio.to_thread(repo.get, key)
    if group is None:
        raise UserError(
            f"알림 그룹 `{key}`을(를) 찾을 수 없습니다."
            if ko(ctx)
            else f"No alert group has the key `{key}`.",
            hint="알림 메시지의 키를 그대로 쓰거나 앱 이름으로 끄세요: silence_alert api -n staging"
            if ko(ctx)
            else "copy the key from the alert, or silence an app: silence_alert api -n staging",
        )
    own = group.namespace or namespace_in_key(key)
    if own is not None and namespace != own:
        raise UserError(
            f"이 알림 그룹은 {own} 네임스페이스의 것입니다." if ko(ctx)
            else f"This alert group is in namespace {own}, not {namespace}.",
            hint=f"silence_alert {key} -n {own}",
        )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="silence_alert",
        args_model=SilenceAlertArgs,
        risk=Risk.WRITE,
        scope=Scope.K8S_WRITE,
        run=run_silence_alert,
        help_en="Mute an alert group (or every alert about an app) for a while: silence_alert api --for 1h",
        help_ko="알림 그룹(또는 앱의 모든 알림)을 잠시 끕니다: silence_alert api --for 1h",
        words=("silence", "alert"),
        positional=("target",),
        planner=False,
    ),
]
