"""The command-specific arguments a chosen command takes from the entities found in the text.

A number without a unit goes to the command's numeric argument: replicas for scale, lines for
logs, the revision for rollback ("api 3으로 롤백"). Only fields the command's args model has are
returned, so a registry without e.g. `all_pods` simply never receives it.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from klepaas.llm.rules.entities import Entities, is_k8s_name


def command_values(
    command: str,
    ents: Entities,
    fields: Container[str],
    kind: str | None = None,
    help_target: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    bare = ents.bare_numbers[0] if ents.bare_numbers else None
    if command == "scale":
        value = _first(ents.replicas, bare, ents.lines)
        if value is not None:
            out["replicas"] = value
    elif command == "logs":
        value = _first(ents.lines, bare, None if ents.all_pods else ents.replicas, ents.entries)
        if value is not None:
            out["lines"] = value
        if ents.previous:
            out["previous"] = True
        if ents.container:
            out["container"] = ents.container
        if ents.all_pods:
            out["all_pods"] = True
    elif command == "rollback":
        out.update(_rollback_target(ents, bare))
    elif command == "deploy":
        if ents.image:
            out["image"] = ents.image
        if ents.repo:
            out["repo"] = ents.repo
            ref = ents.ref or ents.commit
            if ref:
                out["ref"] = ref
        elif not ents.image:
            # "api develop 브랜치 배포", "ship api v5.0.0", "api 커밋 a7c91e3 배포": the app's own
            # project at that ref (a tag or commit is used as the tag of the app's current image)
            ref = ents.ref or ents.commit or ents.version
            if ref:
                out["ref"] = ref
        if ents.container:
            out["container"] = ents.container
        if ents.port is not None:
            out["port"] = ents.port
    elif command == "metrics":
        if ents.metric:
            out["kind"] = ents.metric
        if ents.since:
            out["since"] = ents.since
    elif command == "status":
        if kind or ents.kind:
            out["kind"] = kind or ents.kind
    elif command in ("history", "audit"):
        # "최근 50건", "last 10": how many entries (`limit` for history, `n` for audit)
        value = _first(ents.entries, ents.lines, bare)
        if value is not None:
            out["limit" if command == "history" else "n"] = value
    elif command == "help" and help_target:
        out["command"] = help_target
    return {k: v for k, v in out.items() if k in fields}


def _rollback_target(ents: Entities, bare: int | None) -> dict[str, Any]:
    if ents.commit:
        return {"commit": ents.commit}
    if ents.revision is not None:
        return {"revision": ents.revision}
    if ents.steps_back is not None:
        return {"steps_back": ents.steps_back}
    number = _first(ents.replicas, bare)
    return {"revision": number} if number is not None else {}


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def name_from_image(image: str) -> str | None:
    """The app name an image implies: ghcr.io/acme/api:v2 → api."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return last if is_k8s_name(last) else None


