"""What the pipeline keeps about changes to deployments: their state when an approval was asked
(to refuse a stale approval), and the deployment history row each change leaves.

- `deployment_state` (the `target_state` of restart, scale, rollback, deploy): the deployment's
  generation and images, or that it does not exist. Taken right after the dry-run preview and
  again once approved: if it changed, the approval was given for something that no longer is,
  and the command does not run (`stale_reason` says why).
- `deployment_fields`: the history row of a restart, scale, rollback or deploy, from its arguments
  and its Result's data (images before and after, revision, commit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.k8s.errors import ResourceNotFound

# Commands whose runs are deployment history.
DEPLOYMENT_COMMANDS = frozenset({"restart", "scale", "rollback", "deploy"})


async def deployment_state(ctx: CommandContext, args: Args) -> dict[str, Any] | None:
    """`CommandSpec.target_state` of the commands that change one named deployment: its generation
    and images, or that it does not exist (a new app)."""
    name, namespace = getattr(args, "name", None), getattr(args, "namespace", None)
    if not (isinstance(name, str) and name and isinstance(namespace, str) and namespace != "*"):
        return None
    try:
        deployment = await ctx.gateway().get_deployment(namespace, name)
    except ResourceNotFound as exc:
        if exc.kind != "deployment":
            raise
        return {"exists": False}
    return {"exists": True, "generation": deployment.meta.generation, "images": list(deployment.images)}


def stale_reason(name: str, approved: Mapping[str, Any], now: Mapping[str, Any]) -> str | None:
    """Why an approval given against `approved` no longer holds at `now`, or None if it does."""
    if approved.get("exists") != now.get("exists"):
        if now.get("exists"):
            return f"deployment {name} was created since the preview"
        return f"deployment {name} was deleted since the preview"
    if approved.get("images") != now.get("images"):
        before, after = ", ".join(approved.get("images") or []), ", ".join(now.get("images") or [])
        return f"deployment {name}'s image changed since the preview ({before} → {after})"
    if approved.get("generation") != now.get("generation"):
        return (
            f"deployment {name} was changed since the preview "
            f"(generation {approved.get('generation')} → {now.get('generation')})"
        )
    return None


def deployment_fields(
    spec: CommandSpec[Any], args: Args, result: Result, cluster: str | None
) -> dict[str, Any] | None:
    """The deployment-history row for a change command's result, or None for other commands."""
    if spec.name not in DEPLOYMENT_COMMANDS:
        return None
    data = result.data
    app = data.get("name") or getattr(args, "name", None)
    namespace = data.get("namespace") or getattr(args, "namespace", None)
    if not isinstance(app, str) or not isinstance(namespace, str):
        return None
    image_before = image_after = None
    revision: Any = None
    commit: Any = None
    if spec.name == "deploy":
        image_before, image_after = data.get("previous_image"), data.get("image")
        commit = (data.get("annotations") or {}).get("klepaas.io/commit")
    elif spec.name == "rollback":
        image_before = ", ".join(data.get("from_images") or []) or None
        image_after = ", ".join(data.get("to_images") or []) or None
        revision = data.get("to_revision")
        commit = getattr(args, "commit", None)
    else:
        revision = data.get("revision_before")
    if result.ok and data.get("changed") is False:
        return None  # nothing changed: no history
    return {
        "app": app,
        "namespace": namespace,
        "cluster": data.get("cluster") if isinstance(data.get("cluster"), str) else cluster,
        "command": spec.name,
        "revision": revision if isinstance(revision, int) else None,
        "image_before": image_before,
        "image_after": image_after,
        "commit": commit.lower() if isinstance(commit, str) else None,
        "outcome": "success" if result.ok else "failure",
        "summary": result.summary,
    }
