"""Follow-ups in a thread: what the previous plan lends to a message that leaves things out.

Given `PlanningContext.previous` (the last plan in this thread):
- a command with its app left out takes the previous app (and its namespace when the message names
  none): "nginx 상태" then "3개로 늘려줘" → scale nginx 3; "그거 다시 시작해" → restart nginx;
- a message with no command of its own but a namespace and "도"/"too"/"same", or "again",
  repeats the previous command there: "staging도", "same in prod" → the previous command, same
  arguments, the new namespace;
- nothing is borrowed when the message names its own app.

Storage of `previous` per thread (Redis or database) is the caller's job; this module only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from klepaas.llm.plan import Plan


@dataclass(frozen=True)
class FollowUp:
    command: str
    args: dict[str, Any]
    borrowed: bool  # True when anything came from the previous plan


def repeat_previous(previous: Plan, overrides: dict[str, Any], accepted: set[str]) -> FollowUp:
    """The previous command again, with this message's values (namespace, lines…) on top."""
    args = dict(previous.args)
    args.update({k: v for k, v in overrides.items() if k in accepted and v is not None})
    return FollowUp(previous.command, args, borrowed=True)


def fill_name(command: str, args: dict[str, Any], previous: Plan | None) -> FollowUp:
    """Take the previous plan's app (and namespace, if this message has none) for a missing name."""
    if previous is None or args.get("name") or not previous.args.get("name"):
        return FollowUp(command, args, borrowed=False)
    filled = dict(args)
    filled["name"] = previous.args["name"]
    if not filled.get("namespace") and previous.args.get("namespace"):
        filled["namespace"] = previous.args["namespace"]
    return FollowUp(command, filled, borrowed=True)
