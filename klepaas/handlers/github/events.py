"""GitHub events → what to deploy. Only the fields we use are read; anything else is ignored.

- `push` to the repository's default branch → staging (projects triggered by push);
- `workflow_run` completed with success on the default branch → staging (projects triggered by it);
- `release` published → production, through an approval; the image is the template with the tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from klepaas.storage.projects import Project

Environment = Literal["staging", "production"]
_ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class DeployIntent:
    event: str
    environment: Environment
    sha: str
    ref: str
    author: str
    title: str
    url: str | None
    tag: str | None = None

    def image(self, project: Project) -> str:
        return project.image_for(self.tag or self.sha, self.tag)

    def namespace(self, project: Project) -> str:
        if self.environment == "production":
            return project.production_namespace or project.namespace
        return project.namespace


def repo_of(payload: dict[str, Any]) -> str | None:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, dict) else None
    return name.lower() if isinstance(name, str) and "/" in name else None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def intent(event: str, payload: dict[str, Any], project: Project) -> DeployIntent | str:
    """What this delivery deploys for `project`, or why it deploys nothing."""
    default_branch = _text(_get(payload, "repository", "default_branch"), "main")
    if event == "push":
        if project.trigger != "push":
            return f"project deploys on {project.trigger}, not push"
        ref = _text(payload.get("ref"))
        if ref != f"refs/heads/{default_branch}":
            return f"push to {ref or 'an unknown ref'}, not the default branch {default_branch}"
        sha = _text(payload.get("after"))
        if payload.get("deleted") or not sha or sha == _ZERO_SHA:
            return "branch deleted"
        head = _obj(payload.get("head_commit"))
        author = (
            _text(_get(head, "author", "username"))
            or _text(_get(head, "author", "name"))
            or _text(_get(payload, "pusher", "name"))
            or _text(_get(payload, "sender", "login"), "unknown")
        )
        return DeployIntent(
            event="push",
            environment="staging",
            sha=sha,
            ref=default_branch,
            author=author,
            title=_text(head.get("message")).split("\n", 1)[0],
            url=_text(head.get("url")) or _text(payload.get("compare")) or None,
        )
    if event == "workflow_run":
        if project.trigger != "workflow_run":
            return f"project deploys on {project.trigger}, not workflow_run"
        run = _obj(payload.get("workflow_run"))
        if payload.get("action") != "completed" or run.get("conclusion") != "success":
            return f"workflow run {payload.get('action')} / {run.get('conclusion')}, not a completed success"
        if run.get("head_branch") != default_branch:
            return f"workflow run on {run.get('head_branch')}, not the default branch {default_branch}"
        return DeployIntent(
            event="workflow_run",
            environment="staging",
            sha=_text(run.get("head_sha")),
            ref=default_branch,
            author=_text(_get(run, "actor", "login")) or _text(_get(payload, "sender", "login"), "unknown"),
            title=_text(_get(run, "head_commit", "message")).split("\n", 1)[0] or _text(run.get("name")),
            url=_text(run.get("html_url")) or None,
        )
    if event == "release":
        release = _obj(payload.get("release"))
        if payload.get("action") != "published":
            return f"release {payload.get('action')}, not published"
        if release.get("draft") or release.get("prerelease"):
            return "draft or prerelease"
        tag = _text(release.get("tag_name"))
        if not tag:
            return "release without a tag"
        return DeployIntent(
            event="release",
            environment="production",
            sha=tag,
            ref=tag,
            author=_text(_get(release, "author", "login"))
            or _text(_get(payload, "sender", "login"), "unknown"),
            title=_text(release.get("name")) or tag,
            url=_text(release.get("html_url")) or None,
            tag=tag,
        )
    return f"event {event} deploys nothing"
