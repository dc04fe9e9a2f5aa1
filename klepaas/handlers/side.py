"""What the side server's routes share, filled in as `klepaas run` starts its parts.

The side server answers (health) before the database and the Slack connection exist, and aiohttp
routes cannot be added once it serves; so routes are registered at once and read their
dependencies from here, answering 503 until they are set.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Pipeline
from klepaas.commands.policy import Action, Decision, Policy
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.services import Services
from klepaas.config import Settings
from klepaas.handlers.slack.deps import SlackDeps
from klepaas.storage.tokens import ApiToken


@dataclass
class SideContext:
    settings: Settings
    services: Services | None = None
    slack: SlackDeps | None = None
    # Tokens authenticated by this process, by actor id: what the scope policy checks against.
    _tokens: dict[str, ApiToken] = field(default_factory=dict)
    _api_pipeline: Pipeline | None = None

    def ready(self) -> tuple[Services, SlackDeps]:
        if self.services is None or self.slack is None:
            raise web.HTTPServiceUnavailable(
                text='{"error": "starting"}', content_type="application/json", headers={"Retry-After": "2"}
            )
        return self.services, self.slack

    def token_actor(self, token: ApiToken, source: str) -> Actor:
        """The actor a token's requests run as; remembered so the scope policy can find its scopes."""
        actor = Actor(
            id=f"token:{token.id}",
            source=source,  # type: ignore[arg-type]
            name=token.name,
            workspace=token.workspace,
            channel=token.channel,
        )
        self._tokens[actor.id] = token
        return actor

    def api_pipeline(self) -> Pipeline:
        """The pipeline for token-authenticated requests: the same one, behind the token's scopes."""
        services, _ = self.ready()
        if self._api_pipeline is None:
            pipeline = copy.copy(services.pipeline())
            pipeline.policy = TokenScopePolicy(pipeline.policy, self._tokens)
            self._api_pipeline = pipeline
        return self._api_pipeline


class TokenScopePolicy:
    """A token may run only the commands whose scope it holds; then the usual policy decides, for
    the token's owner (their roles, their Kubernetes identity)."""

    def __init__(self, inner: Policy, tokens: dict[str, ApiToken]) -> None:
        self.inner = inner
        self.tokens = tokens

    def decide(
        self,
        actor: Actor,
        spec: CommandSpec[Any],
        args: Args,
        namespace: str | None,
        *more: Any,
        **named: Any,
    ) -> Decision:
        token = self.tokens.get(actor.id)
        if token is None:
            return Decision(Action.DENY, "token-unknown", "This request carries no valid token.")
        if spec.scope.value not in token.scopes:
            return Decision(
                Action.DENY,
                "token-scope",
                f"The token {token.id} lacks the scope {spec.scope.value} that {spec.name} needs.",
            )
        # Then as the person who issued it: a token never does more than its owner's roles allow.
        owner = dataclasses.replace(actor, id=token.created_by)
        return self.inner.decide(owner, spec, args, namespace, *more, **named)

    def __getattr__(self, name: str) -> Any:  # anything else the inner policy offers (bindings, roles)
        return getattr(self.inner, name)
