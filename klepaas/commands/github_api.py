"""GitHub's REST API through PyGithub: authenticated with a token, or as a GitHub App (app id +
private key → a JWT → the repository's installation token, which PyGithub refreshes).

Blocking (PyGithub uses requests): callers on the event loop use `asyncio.to_thread`. GitHub's
errors become ours; their bodies are not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from github import Auth, Github, GithubException, GithubIntegration
from github.Repository import Repository

from klepaas.config import GitHubSettings
from klepaas.errors import ConfigError, Forbidden, KlepaasError, NotFound, Unavailable, UserError

_TIMEOUT_SECONDS = 15
T = TypeVar("T")


def _client_for(settings: GitHubSettings, repo: str) -> Github:
    base_url = settings.api_url.rstrip("/")
    if settings.token is not None:
        return Github(
            auth=Auth.Token(settings.token.get_secret_value()), base_url=base_url, timeout=_TIMEOUT_SECONDS
        )
    if settings.app_id is not None and settings.app_private_key is not None:
        integration = GithubIntegration(
            auth=Auth.AppAuth(settings.app_id, settings.app_private_key.get_secret_value()),
            base_url=base_url,
            timeout=_TIMEOUT_SECONDS,
        )
        owner, name = repo.split("/", 1)
        installation = _call(lambda: integration.get_repo_installation(owner, name), repo)
        return integration.get_github_for_installation(installation.id)
    raise ConfigError(
        "GitHub is not configured",
        hint="set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY for a GitHub App",
    )


def _call(work: Callable[[], T], repo: str) -> T:
    try:
        return work()
    except GithubException as exc:
        raise _error(exc, repo) from exc
    except OSError as exc:  # requests' connection errors derive from OSError
        raise Unavailable(f"GitHub did not answer ({type(exc).__name__}).") from exc


def _error(exc: GithubException, repo: str) -> KlepaasError:
    if exc.status in (401,):
        return ConfigError("GitHub refused our credentials", hint="check GITHUB_TOKEN or the GitHub App key")
    if exc.status == 403:
        return Forbidden(
            f"GitHub does not allow this on {repo}", hint="the token or app needs Actions: write"
        )
    if exc.status == 404:
        return NotFound(f"GitHub knows no such repository or workflow: {repo}")
    if exc.status == 422:
        return UserError(
            f"GitHub refused the request for {repo}: the workflow has no workflow_dispatch trigger "
            "or the ref does not exist"
        )
    return Unavailable(f"GitHub answered {exc.status} for {repo}.")


def dispatch_workflow(
    settings: GitHubSettings, repo: str, workflow: str | None, ref: str | None
) -> tuple[str, str]:
    """Start `workflow` (file name or id) on `ref` (default: the default branch) of `repo`.

    With no workflow named, the repository's only active workflow is used. Returns (workflow, ref)."""
    gh = _client_for(settings, repo)
    try:
        repository: Repository = _call(lambda: gh.get_repo(repo), repo)
        ref = ref or repository.default_branch
        if workflow is None:
            active = [w for w in _call(lambda: list(repository.get_workflows()), repo) if w.state == "active"]
            if len(active) != 1:
                names = ", ".join(w.path.rsplit("/", 1)[-1] for w in active) or "none"
                raise UserError(
                    f"{repo} has {len(active)} active workflows ({names}); name the one to run",
                    hint="build APP --workflow build.yml, or set workflow= on the project",
                )
            chosen = active[0]
        else:
            chosen = _call(lambda: repository.get_workflow(workflow), repo)
        _call(lambda: chosen.create_dispatch(ref, throw=True), repo)
        return chosen.path.rsplit("/", 1)[-1], ref
    finally:
        gh.close()
