"""The long-lived things, composed in one place: used by the console, Slack and MCP alike."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from klepaas.commands.pipeline import Pipeline, Planner
from klepaas.commands.policy import Bindings, Policy, StaticBindings, build_policy
from klepaas.commands.registry import Registry
from klepaas.config import Settings
from klepaas.k8s.clusters import KubeClusters
from klepaas.storage import Storage
from klepaas.storage.conversations import ConversationStore, open_conversations
from klepaas.storage.orphans import mark_orphaned
from klepaas.storage.policy_store import PolicyStore

# Attempts still pending this long after they began belong to a process that is gone.
_STALE_AFTER = timedelta(hours=1)


@dataclass
class Services:
    settings: Settings
    registry: Registry
    clusters: KubeClusters
    planner: Planner
    storage: Storage
    policy: Policy
    bindings: Bindings
    # The last plan of each Slack thread / console session (Redis when REDIS_URL is set, else the database).
    conversations: ConversationStore | None = None
    _pipeline: Pipeline | None = field(default=None, init=False, repr=False)

    def pipeline(self) -> Pipeline:
        """The request pipeline over these services (one per Services; it holds no per-request state)."""
        if self._pipeline is None:
            self._pipeline = self._build_pipeline()
        return self._pipeline

    def _build_pipeline(self) -> Pipeline:
        return Pipeline(
            settings=self.settings,
            registry=self.registry,
            clusters=self.clusters,
            storage=self.storage,
            policy=self.policy,
            planner=self.planner,
            bindings=self.bindings,
            conversations=self.conversations,
        )

    async def close(self) -> None:
        if self._pipeline is not None:
            await self._pipeline.drain()  # the audit rows still being completed
        await self.clusters.aclose()
        if self.conversations is not None:
            await self.conversations.close()
        await asyncio.to_thread(self.storage.close)


async def build_services(
    settings: Settings,
    *,
    registry: Registry | None = None,
    planner: Planner | None = None,
    clusters: KubeClusters | None = None,
    storage: Storage | None = None,
    policy: Policy | None = None,
    bindings: Bindings | None = None,
    conversations: ConversationStore | None = None,
) -> Services:
    """Everything a front door needs, from settings; pass a part to replace it (tests do)."""
    from klepaas.commands.builtin import build_registry
    from klepaas.llm.planner import build_planner

    registry = registry or build_registry()
    planner = planner or build_planner(settings, registry.infos())
    if storage is None:
        storage = await asyncio.to_thread(Storage.open, settings.storage.database_url)
        stale = datetime.now(UTC) - max(
            _STALE_AFTER, timedelta(seconds=settings.kube.rollout_timeout_seconds * 2)
        )
        await asyncio.to_thread(storage.audit.mark_interrupted, stale)
        await asyncio.to_thread(mark_orphaned, storage.engine)  # this host's killed processes' rows
    if policy is None:  # roles, bindings and approval rules: the policy file + run-time changes
        role_policy = await asyncio.to_thread(
            build_policy, settings, registry.names(), PolicyStore(storage.engine)
        )
        policy, bindings = role_policy, bindings or role_policy
    bindings = bindings or StaticBindings()
    clusters = clusters or KubeClusters(settings.kube)
    return Services(
        settings=settings,
        registry=registry,
        clusters=clusters,
        planner=planner,
        storage=storage,
        policy=policy,
        bindings=bindings,
        conversations=conversations or open_conversations(settings.storage, storage.engine),
    )
