"""What a command's run function gets besides its arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from klepaas.config import Settings
from klepaas.llm.plan import Lang

if TYPE_CHECKING:
    from klepaas.commands.policy import KubeIdentity, Policy
    from klepaas.commands.registry import Registry
    from klepaas.k8s.clusters import KubeClusters
    from klepaas.k8s.gateway import KubeGateway
    from klepaas.storage import Storage

Source = Literal["console", "slack", "mcp", "webhook", "http", "alert"]

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who asked: a Slack user id, a console user, an MCP client, a webhook."""

    id: str
    source: Source
    name: str | None = None
    workspace: str | None = None
    channel: str | None = None
    thread: str | None = None


@dataclass
class Observations:
    """What a request's preview read, for the run that follows it in the same request: the change
    is then sent without reading the object again, with the resourceVersion it was read at as a
    precondition, so it applies only to the object exactly as previewed; if it changed in between,
    the server answers Conflict and the run reads it afresh. Keyed by (kind, cluster, namespace,
    name); each observation is taken once."""

    _seen: dict[tuple[str, str, str, str], object] = field(default_factory=dict)

    def keep(self, key: tuple[str, str, str, str], obj: object) -> None:
        self._seen[key] = obj

    def take(self, key: tuple[str, str, str, str], kind: type[T]) -> T | None:
        obj = self._seen.pop(key, None)
        return obj if isinstance(obj, kind) else None


@dataclass
class CommandContext:
    settings: Settings
    clusters: KubeClusters
    registry: Registry
    actor: Actor
    lang: Lang = "en"
    cluster: str | None = None  # kubeconfig context name; None = the default context
    # Namespaces this request may touch (from the channel binding); empty = no restriction.
    allowed_namespaces: list[str] = field(default_factory=list)
    # The database, for commands that keep their own records (projects, tokens, approvals).
    storage: Storage | None = None
    # The person's Kubernetes identity (policy file): the gateway impersonates it, so the cluster's
    # own RBAC applies too. None = the bot's own credentials.
    identity: KubeIdentity | None = None
    # The policy, for the admin commands (whoami, policy, bind, grant).
    policy: Policy | None = None
    # What this request's preview read, for its run (see Observations).
    observed: Observations = field(default_factory=Observations)

    def gateway(self, cluster: str | None = None) -> KubeGateway:
        gateway = self.clusters.get(cluster or self.cluster)
        if self.identity is not None:
            return gateway.with_identity(self.identity.user, self.identity.groups)
        return gateway
