"""A local GitHub REST API: the endpoints PyGithub calls to start a workflow, on 127.0.0.1:0.

PyGithub reaches it through `base_url` (our `GITHUB_API_URL`). It speaks:

- `GET /repos/{owner}/{repo}`, `GET /repos/{o}/{r}/actions/workflows` and
  `GET /repos/{o}/{r}/actions/workflows/{id or file name}`,
  `POST /repos/{o}/{r}/actions/workflows/{id}/dispatches` (204; 422 for a workflow without a
  `workflow_dispatch` trigger or an unknown ref) — with a personal token or an installation token;
- `GET /repos/{o}/{r}/installation` and `POST /app/installations/{id}/access_tokens` — with the
  GitHub App's JWT, verified here as GitHub does: RS256 against the app's public key, `iss` the
  app id, unexpired, at most ten minutes long.
- sign-in with GitHub: `POST /login/oauth/access_token` (client id + secret + a code its
  authorize page handed out, once) and `GET /user` with the access token it issued.

Every dispatch is recorded with the credential kind that made it. `refuse(repo, status)` makes
the repository's endpoints answer 401 or 403 as GitHub would.
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web


@dataclass
class FakeWorkflow:
    id: int
    file: str  # build.yml
    name: str
    state: str = "active"
    dispatchable: bool = True  # has an `on: workflow_dispatch` trigger


@dataclass
class FakeRepo:
    full_name: str
    default_branch: str = "main"
    branches: set[str] = field(default_factory=lambda: {"main"})
    workflows: list[FakeWorkflow] = field(default_factory=list)
    installation_id: int | None = None  # the GitHub App's installation on this repository


@dataclass(frozen=True)
class Dispatch:
    repo: str
    workflow_id: int
    ref: str
    inputs: dict[str, Any]
    credential: str  # "token" (personal) | "installation"


class FakeGitHub:
    def __init__(
        self, *, token: str | None = None, app_id: int | None = None, app_public_key: bytes | None = None
    ):
        self.token = token  # a personal access token it accepts
        self.app_id = app_id
        self.app_public_key = app_public_key  # PEM; the app's JWTs must verify against it
        self.repos: dict[str, FakeRepo] = {}
        self.dispatches: list[Dispatch] = []
        self.installation_tokens: dict[str, int] = {}  # issued token -> installation id
        self.jwt_claims: list[dict[str, Any]] = []  # every app JWT accepted
        self.refusals: dict[str, int] = {}  # repo -> 401 | 403
        # OAuth (sign-in with GitHub): the app's client id -> secret; codes handed out by the
        # authorize page (code -> login); access tokens issued (token -> login).
        self.oauth_clients: dict[str, str] = {}
        self.oauth_codes: dict[str, str] = {}
        self.user_tokens: dict[str, str] = {}
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- set-up -------------------------------------------------------------------------------------

    def add_repo(
        self, full_name: str, *workflows: tuple[str, bool], installation_id: int | None = None
    ) -> FakeRepo:
        """A repository with workflows given as (file name, has a workflow_dispatch trigger)."""
        repo = FakeRepo(
            full_name,
            workflows=[
                FakeWorkflow(next(self._ids), f, f.removesuffix(".yml"), dispatchable=d) for f, d in workflows
            ],
            installation_id=installation_id,
        )
        self.repos[full_name.lower()] = repo
        return repo

    def refuse(self, repo: str, status: int) -> None:
        self.refusals[repo.lower()] = status

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> FakeGitHub:
        app = web.Application()
        app.router.add_get("/repos/{owner}/{repo}", self._get_repo)
        app.router.add_get("/repos/{owner}/{repo}/installation", self._get_installation)
        app.router.add_get("/repos/{owner}/{repo}/actions/workflows", self._list_workflows)
        app.router.add_get("/repos/{owner}/{repo}/actions/workflows/{workflow}", self._get_workflow)
        app.router.add_post("/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches", self._dispatch)
        app.router.add_post("/app/installations/{installation}/access_tokens", self._access_token)
        app.router.add_post("/login/oauth/access_token", self._oauth_access_token)
        app.router.add_get("/user", self._user)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeGitHub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """What GITHUB_API_URL should be."""
        return f"http://127.0.0.1:{self.port}"

    # -- credentials --------------------------------------------------------------------------------

    def _credential(self, request: web.Request, repo: FakeRepo) -> str:
        """ "token" or "installation" if the request may act on `repo`; else GitHub's 401."""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() in ("token", "bearer") and value:
            if self.token is not None and secrets.compare_digest(value, self.token):
                return "token"
            installation = self.installation_tokens.get(value)
            if installation is not None and installation == repo.installation_id:
                return "installation"
        raise _error(web.HTTPUnauthorized, "Bad credentials")

    def _app_jwt(self, request: web.Request) -> dict[str, Any]:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or self.app_public_key is None:
            raise _error(web.HTTPUnauthorized, "A JSON web token could not be decoded")
        try:
            claims: dict[str, Any] = jwt.decode(
                value, self.app_public_key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]}
            )
        except jwt.PyJWTError as exc:
            raise _error(web.HTTPUnauthorized, f"A JSON web token could not be decoded ({exc})") from None
        if str(claims["iss"]) != str(self.app_id):
            raise _error(web.HTTPUnauthorized, "'Issuer' claim ('iss') must be the app id")
        if claims["exp"] - claims["iat"] > 660:
            raise _error(web.HTTPUnauthorized, "'Expiration time' claim ('exp') is too far in the future")
        self.jwt_claims.append(claims)
        return claims

    def _repo(self, request: web.Request) -> FakeRepo:
        name = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        repo = self.repos.get(name)
        if repo is None:
            raise _error(web.HTTPNotFound, "Not Found")
        return repo

    def _authorized_repo(self, request: web.Request) -> tuple[FakeRepo, str]:
        repo = self._repo(request)
        credential = self._credential(request, repo)
        refusal = self.refusals.get(repo.full_name.lower())
        if refusal == 401:
            raise _error(web.HTTPUnauthorized, "Bad credentials")
        if refusal == 403:
            raise _error(web.HTTPForbidden, "Resource not accessible by integration")
        return repo, credential

    # -- endpoints ----------------------------------------------------------------------------------

    async def _get_repo(self, request: web.Request) -> web.Response:
        repo, _ = self._authorized_repo(request)
        owner, name = repo.full_name.split("/", 1)
        return web.json_response(
            {
                "id": hash(repo.full_name) & 0xFFFFFF,
                "name": name,
                "full_name": repo.full_name,
                "owner": {"login": owner, "id": 1, "type": "Organization"},
                "private": True,
                "default_branch": repo.default_branch,
                "url": f"{self.url}/repos/{repo.full_name}",
            }
        )

    def _workflow_json(self, repo: FakeRepo, workflow: FakeWorkflow) -> dict[str, Any]:
        return {
            "id": workflow.id,
            "node_id": f"W_{workflow.id}",
            "name": workflow.name,
            "path": f".github/workflows/{workflow.file}",
            "state": workflow.state,
            "url": f"{self.url}/repos/{repo.full_name}/actions/workflows/{workflow.id}",
        }

    async def _list_workflows(self, request: web.Request) -> web.Response:
        repo, _ = self._authorized_repo(request)
        workflows = [self._workflow_json(repo, w) for w in repo.workflows]
        return web.json_response({"total_count": len(workflows), "workflows": workflows})

    def _workflow(self, repo: FakeRepo, key: str) -> FakeWorkflow:
        for workflow in repo.workflows:
            if key in (str(workflow.id), workflow.file):
                return workflow
        raise _error(web.HTTPNotFound, "Not Found")

    async def _get_workflow(self, request: web.Request) -> web.Response:
        repo, _ = self._authorized_repo(request)
        return web.json_response(
            self._workflow_json(repo, self._workflow(repo, request.match_info["workflow"]))
        )

    async def _dispatch(self, request: web.Request) -> web.Response:
        repo, credential = self._authorized_repo(request)
        workflow = self._workflow(repo, request.match_info["workflow"])
        body = await request.json()
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            raise _error(web.HTTPUnprocessableEntity, 'Invalid request. "ref" wasn\'t supplied.')
        if not workflow.dispatchable:
            raise _error(web.HTTPUnprocessableEntity, "Workflow does not have 'workflow_dispatch' trigger")
        if ref.removeprefix("refs/heads/") not in repo.branches:
            raise _error(web.HTTPUnprocessableEntity, f"No ref found for: {ref}")
        self.dispatches.append(
            Dispatch(repo.full_name, workflow.id, ref, body.get("inputs") or {}, credential)
        )
        return web.Response(status=204)

    async def _get_installation(self, request: web.Request) -> web.Response:
        self._app_jwt(request)
        repo = self._repo(request)
        if repo.installation_id is None:
            raise _error(web.HTTPNotFound, "Not Found")
        return web.json_response(
            {
                "id": repo.installation_id,
                "app_id": self.app_id,
                "target_type": "Organization",
                "account": {"login": repo.full_name.split("/", 1)[0], "id": 1},
                "access_tokens_url": f"{self.url}/app/installations/{repo.installation_id}/access_tokens",
                "repository_selection": "selected",
                "permissions": {"actions": "write", "metadata": "read"},
            }
        )

    async def _access_token(self, request: web.Request) -> web.Response:
        self._app_jwt(request)
        installation = int(request.match_info["installation"])
        if installation not in {r.installation_id for r in self.repos.values()}:
            raise _error(web.HTTPNotFound, "Not Found")
        token = f"ghs_{secrets.token_urlsafe(24)}"
        self.installation_tokens[token] = installation
        expires = datetime.now(UTC) + timedelta(hours=1)
        return web.json_response(
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"actions": "write", "metadata": "read"},
                "repository_selection": "selected",
            },
            status=201,
        )

    # -- OAuth: sign in with GitHub -----------------------------------------------------------------

    def issue_oauth_code(self, login: str) -> str:
        """What GitHub's authorize page does when `login` clicks Authorize: a one-time code."""
        code = secrets.token_hex(10)
        self.oauth_codes[code] = login
        return code

    async def _oauth_access_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, client_secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if self.oauth_clients.get(client_id) != client_secret or not client_secret:
            return web.json_response({"error": "incorrect_client_credentials"})
        login = self.oauth_codes.pop(str(form.get("code", "")), None)
        if login is None:  # GitHub answers 200 with an error for a bad or used code
            return web.json_response({"error": "bad_verification_code"})
        token = f"gho_{secrets.token_urlsafe(20)}"
        self.user_tokens[token] = login
        return web.json_response({"access_token": token, "token_type": "bearer", "scope": "read:user"})

    async def _user(self, request: web.Request) -> web.Response:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        login = self.user_tokens.get(value) if scheme.lower() in ("bearer", "token") else None
        if login is None:
            raise _error(web.HTTPUnauthorized, "Bad credentials")
        return web.json_response({"login": login, "id": abs(hash(login)) % 10_000_000, "type": "User"})


def _error(cls: type[web.HTTPException], message: str) -> web.HTTPException:
    body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    return cls(text=json.dumps(body), content_type="application/json")
