"""The policy seam: may this actor run this command here, and does it need an approval — by whom?

`Policy.decide` is the one question the pipeline asks. Two policies:

- `DefaultPolicy` needs no file: everyone may read; write needs an approval unless settings say
  otherwise; dangerous commands and anything in the production namespace always need one.
- `RolePolicy` (what `build_services` uses): roles → scopes, users (Slack ids) → roles and an
  optional Kubernetes identity, channel bindings, and approval rules — from the policy file
  (`klepaas.commands.policy_file`, DESIGN §3) with what admins changed at run time (`grant`, `bind`,
  in the database) merged over it. Without a policy file it is open: everyone is an admin, and
  approvals are asked as `DefaultPolicy` asks them.

A `Decision` carries the rule that decided (for the audit), the approval requirement (rule,
approvers, self-approval, ttl) and the Kubernetes identity the command runs as.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from klepaas.commands.context import Actor
from klepaas.commands.policy_file import ApprovalRule, Approvers, Match, PolicyFile
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.config import Settings
from klepaas.errors import UserError

if TYPE_CHECKING:
    from klepaas.storage.policy_store import BindEntry, GrantEntry, PolicyStore

ADMIN_SCOPES = frozenset({Scope.ADMIN_READ, Scope.ADMIN_WRITE})
ALL_NAMESPACES = "*"


class Action(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REQUIRE_APPROVAL = "require_approval"


@dataclass(frozen=True)
class KubeIdentity:
    """Who the cluster sees: the gateway sends Impersonate-User / Impersonate-Group."""

    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApprovalRequirement:
    rule: str
    approvers: Approvers = field(default_factory=Approvers)
    self_approve: bool = False  # already narrowed: never for dangerous or production
    ttl_seconds: int | None = None  # None: the KLEPAAS_APPROVAL_TTL default

    def describe_approvers(self) -> str:
        a = self.approvers
        if a.anyone:
            return "anyone but the requester" if not self.self_approve else "anyone"
        parts = [f"role {r}" for r in a.roles] + [f"<@{u}>" for u in a.users]
        parts += [f"group {g}" for g in a.groups]
        return " or ".join(parts)


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: str  # which rule decided, for the audit log ("read-allowed", "production-needs-approval")
    reason: str  # one sentence for the person asking
    approval: ApprovalRequirement | None = None  # set when action is REQUIRE_APPROVAL
    identity: KubeIdentity | None = None  # run as this Kubernetes identity (impersonation)

    @property
    def allowed(self) -> bool:
        return self.action is Action.ALLOW

    @property
    def denied(self) -> bool:
        return self.action is Action.DENY

    @property
    def needs_approval(self) -> bool:
        return self.action is Action.REQUIRE_APPROVAL


class Policy(Protocol):
    def decide(
        self,
        actor: Actor,
        spec: CommandSpec[Any],
        args: Args,
        namespace: str | None,
        cluster: str | None = None,
    ) -> Decision: ...


@dataclass(frozen=True)
class ChannelBinding:
    """A channel's cluster and namespaces; the first namespace is the channel's default."""

    cluster: str | None = None
    namespaces: tuple[str, ...] = ()

    @property
    def default_namespace(self) -> str | None:
        return self.namespaces[0] if self.namespaces else None


class Bindings(Protocol):
    def for_actor(self, actor: Actor) -> ChannelBinding | None: ...


@dataclass(frozen=True)
class StaticBindings:
    """Channel id → binding, from a mapping."""

    channels: Mapping[str, ChannelBinding] = field(default_factory=dict)

    def for_actor(self, actor: Actor) -> ChannelBinding | None:
        return self.channels.get(actor.channel) if actor.channel else None


class DefaultPolicy:
    """Risk-based rules that need no configuration beyond Settings."""

    def __init__(self, settings: Settings, bindings: Bindings | None = None) -> None:
        self._require_for_write = settings.policy.require_approval_for_write
        self._production = settings.kube.production_namespace
        self._bindings = bindings or StaticBindings()

    def decide(
        self,
        actor: Actor,
        spec: CommandSpec[Any],
        args: Args,
        namespace: str | None,
        cluster: str | None = None,
    ) -> Decision:
        binding = self._bindings.for_actor(actor)
        if binding and binding.namespaces and namespace is not None:
            outside = _outside(namespace, binding.namespaces)
            if outside:
                return _channel_denial(binding, outside)
        if spec.risk is Risk.READ:
            return Decision(Action.ALLOW, "read-allowed", "Reading is allowed for everyone.")
        if spec.risk is Risk.DANGEROUS:
            return Decision(
                Action.REQUIRE_APPROVAL,
                "dangerous-needs-approval",
                f"{spec.name} is a dangerous command and always needs an approval.",
                ApprovalRequirement("dangerous-needs-approval"),
            )
        if namespace is not None and namespace in (self._production, ALL_NAMESPACES):
            return Decision(
                Action.REQUIRE_APPROVAL,
                "production-needs-approval",
                f"Changes in the production namespace {self._production!r} always need an approval.",
                ApprovalRequirement("production-needs-approval"),
            )
        if self._require_for_write:
            return Decision(
                Action.REQUIRE_APPROVAL,
                "write-needs-approval",
                f"{spec.name} changes the cluster and needs an approval.",
                ApprovalRequirement("write-needs-approval", self_approve=True),
            )
        return Decision(
            Action.ALLOW, "write-allowed", "Changes outside production run without approval here."
        )


# ---- roles, users, bindings, approval rules ---------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One Slack user as the policy sees them."""

    id: str
    roles: tuple[str, ...]
    scopes: frozenset[Scope]
    groups: frozenset[str] = frozenset()
    identity: KubeIdentity | None = None
    origin: str = "default"  # default | file | granted


def open_rules(settings: Settings) -> list[ApprovalRule]:
    """The approval rules without a policy file: those of `DefaultPolicy`, anyone else approves."""
    production = settings.kube.production_namespace
    rules = [
        ApprovalRule(name="dangerous-needs-approval", match=Match(risk=[Risk.DANGEROUS])),
        ApprovalRule(
            name="production-needs-approval",
            match=Match(risk=[Risk.WRITE], namespaces=[production, ALL_NAMESPACES]),
        ),
    ]
    if settings.policy.require_approval_for_write:
        rules.append(
            ApprovalRule(name="write-needs-approval", match=Match(risk=[Risk.WRITE]), self_approve=True)
        )
    return rules


class RolePolicy:
    """Roles, bindings and approval rules from the policy file, with run-time changes merged over it.

    Run-time changes live in the database (`PolicyStore`) and in a cache here: `decide` never waits
    on the database. `grant`/`bind` write through; `refresh()` reloads what other processes changed.
    """

    def __init__(self, settings: Settings, file: PolicyFile | None = None, store: PolicyStore | None = None):
        self.settings = settings
        self.file = file
        self.open = file is None
        self._doc = file or PolicyFile(default_role="admin", approvals=open_rules(settings))
        self._store = store
        self._production = settings.kube.production_namespace
        self._grants: dict[str, tuple[str, ...]] = {}
        self._binds: dict[str, ChannelBinding] = {}
        self._bind_origin: dict[str, str] = {}

    # -- run-time changes -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the grants and bindings stored in the database (blocking: call from a thread)."""
        if self._store is None:
            return
        self._grants = {g.user_id: g.roles for g in self._store.grants()}
        self._binds = {b.channel: ChannelBinding(b.cluster, b.namespaces) for b in self._store.bindings()}

    def grant(self, user_id: str, role: str, *, granted_by: str, workspace: str | None = None) -> GrantEntry:
        """Give `user_id` exactly `role` (replacing the file's roles for them). Blocking."""
        if role not in self._doc.role_names():
            raise UserError(
                f"Unknown role {role!r}.", hint=f"roles are: {', '.join(sorted(self._doc.role_names()))}"
            )
        store = self._require_store()
        entry = store.set_roles(user_id, [role], granted_by=granted_by, workspace=workspace)
        self._grants[user_id] = entry.roles
        return entry

    def bind(self, channel: str, *, cluster: str | None, namespaces: list[str], bound_by: str) -> BindEntry:
        """Bind `channel` to `cluster` and `namespaces` (replacing the file's binding). Blocking."""
        store = self._require_store()
        entry = store.bind(channel, cluster=cluster, namespaces=namespaces, bound_by=bound_by)
        self._binds[channel] = ChannelBinding(entry.cluster, entry.namespaces)
        return entry

    def _require_store(self) -> PolicyStore:
        if self._store is None:
            raise UserError("Run-time policy changes need the database; none is configured here.")
        return self._store

    # -- who is who -----------------------------------------------------------------------------

    def person(self, user_id: str) -> Person:
        entry = self._doc.users.get(user_id)
        if user_id in self._grants:
            roles, origin = self._grants[user_id], "granted"
        elif entry is not None and entry.roles:
            roles, origin = tuple(entry.roles), "file"
        else:
            roles, origin = (self._doc.default_role,), "default"
        scopes = frozenset(scope for role in roles for scope in self._doc.scopes_of(role))
        identity = None
        groups: set[str] = set()
        if entry is not None:
            groups.update(entry.groups)
            if entry.kubernetes is not None:
                identity = KubeIdentity(entry.kubernetes.user, tuple(entry.kubernetes.groups))
                groups.update(entry.kubernetes.groups)
        return Person(user_id, tuple(roles), scopes, frozenset(groups), identity, origin)

    def for_actor(self, actor: Actor) -> ChannelBinding | None:
        """The Bindings seam: the channel's binding, the database's over the file's."""
        if not actor.channel:
            return None
        return self.binding(actor.channel)

    def binding(self, channel: str) -> ChannelBinding | None:
        if channel in self._binds:
            return self._binds[channel]
        entry = self._doc.channels.get(channel)
        return ChannelBinding(entry.cluster, tuple(entry.namespaces)) if entry is not None else None

    def bindings(self) -> dict[str, ChannelBinding]:
        merged = {c: ChannelBinding(e.cluster, tuple(e.namespaces)) for c, e in self._doc.channels.items()}
        merged.update(self._binds)
        return merged

    def channel_for(self, namespace: str | None, cluster: str | None = None) -> str | None:
        """The channel bound to `namespace` (and cluster): where approvals from other front doors go."""
        for channel, binding in self.bindings().items():
            if (cluster is None or binding.cluster in (None, cluster)) and (
                namespace is None or namespace in binding.namespaces
            ):
                return channel
        return None

    def role_scopes(self) -> dict[str, tuple[Scope, ...]]:
        return {role: self._doc.scopes_of(role) for role in sorted(self._doc.role_names())}

    @property
    def document(self) -> PolicyFile:
        return self._doc

    def grants(self) -> dict[str, tuple[str, ...]]:
        return dict(self._grants)

    # -- the decision ---------------------------------------------------------------------------

    def decide(
        self,
        actor: Actor,
        spec: CommandSpec[Any],
        args: Args,
        namespace: str | None,
        cluster: str | None = None,
    ) -> Decision:
        binding = self.for_actor(actor)
        if binding is not None:
            if binding.namespaces and namespace is not None:
                outside = _outside(namespace, binding.namespaces)
                if outside:
                    return _channel_denial(binding, outside)
            if binding.cluster is not None and cluster is not None and cluster != binding.cluster:
                return Decision(
                    Action.DENY,
                    "channel-cluster",
                    f"This channel is bound to cluster {binding.cluster}, not {cluster}.",
                )
        person = self.person(actor.id)
        if spec.scope not in person.scopes:
            holders = [role for role, scopes in self.role_scopes().items() if spec.scope in scopes]
            return Decision(
                Action.DENY,
                "role-scope",
                f"{spec.name} needs {spec.scope.value}; your role ({', '.join(person.roles)}) does not "
                f"have it (roles that do: {', '.join(holders)}).",
            )
        identity = person.identity
        if spec.scope in ADMIN_SCOPES:
            return Decision(
                Action.ALLOW, "admin-scope", f"{', '.join(person.roles)} may use {spec.name}.", None, identity
            )
        requirement = self.requirement(spec.name, spec.risk, namespace, cluster)
        production = namespace in (self._production, ALL_NAMESPACES)
        if requirement is not None:
            where = f" in {namespace}" if namespace else ""
            return Decision(
                Action.REQUIRE_APPROVAL,
                requirement.rule,
                f"{spec.name}{where} needs an approval by {requirement.describe_approvers()} "
                f"(rule {requirement.rule}).",
                requirement,
                identity,
            )
        if spec.risk is not Risk.READ and production:
            return Decision(
                Action.DENY,
                "production-no-rule",
                f"No approval rule allows {spec.name} in the production namespace {self._production!r}.",
            )
        if spec.risk is Risk.DANGEROUS:  # dangerous always needs an approval, by an admin unless a rule says
            fallback = self.effective_requirement(spec.name, spec.risk, namespace, cluster)
            return Decision(
                Action.REQUIRE_APPROVAL,
                fallback.rule,
                f"{spec.name} is a dangerous command and needs an approval by an admin.",
                fallback,
                identity,
            )
        if spec.risk is Risk.WRITE:
            reason = "Changes outside production run without approval here."
            return Decision(Action.ALLOW, "write-allowed", reason, None, identity)
        reason = "Reading is allowed for everyone." if self.open else "Reading is allowed for your role."
        return Decision(Action.ALLOW, "read-allowed", reason, None, identity)

    def requirement(
        self, command: str, risk: Risk | str, namespace: str | None, cluster: str | None
    ) -> ApprovalRequirement | None:
        """The first approval rule covering this request, self-approval narrowed, else None."""
        risk = Risk(risk)
        for index, rule in enumerate(self._doc.approvals):
            if rule.match.covers(command, risk, namespace, cluster):
                production = namespace in (self._production, ALL_NAMESPACES)
                return ApprovalRequirement(
                    rule=self._doc.rule_name(index),
                    approvers=rule.approvers,
                    self_approve=rule.self_approve and risk is Risk.WRITE and not production,
                    ttl_seconds=rule.ttl,
                )
        return None  # decide() falls back: dangerous → admins; production → denied

    def approval_refusal(
        self,
        *,
        command: str,
        risk: Risk | str,
        namespace: str | None,
        cluster: str | None,
        requester: str,
        approver: str,
    ) -> str | None:
        """Why `approver` may not approve this request, or None if they may."""
        requirement = self.effective_requirement(command, risk, namespace, cluster)
        return approver_refusal(requirement, self.person(approver), requester)

    def effective_requirement(
        self, command: str, risk: Risk | str, namespace: str | None, cluster: str | None
    ) -> ApprovalRequirement:
        """The requirement an approval request for this is under: the matching rule; for a dangerous
        command no rule covers, an admin; else (asked for anyway) anyone but the requester."""
        requirement = self.requirement(command, risk, namespace, cluster)
        if requirement is not None:
            return requirement
        if Risk(risk) is Risk.DANGEROUS:
            return ApprovalRequirement("dangerous-needs-approval", Approvers(roles=["admin"]))
        return ApprovalRequirement("no-rule")


def approver_refusal(requirement: ApprovalRequirement, approver: Person, requester: str) -> str | None:
    if approver.id == requester and not requirement.self_approve:
        return "You cannot approve your own request."
    wanted = requirement.approvers
    if wanted.anyone:
        return None
    if (
        set(approver.roles) & set(wanted.roles)
        or approver.id in wanted.users
        or approver.groups & set(wanted.groups)
    ):
        return None
    return f"Only {requirement.describe_approvers()} may approve this (rule {requirement.rule})."


def build_policy(settings: Settings, known_commands: Iterable[str], store: PolicyStore | None) -> RolePolicy:
    """The policy from KLEPAAS_POLICY_FILE (validated now: a bad file stops the start with a
    ConfigError naming the path and field), with the database's run-time changes loaded. Blocking."""
    from klepaas.commands.policy_file import load_policy_file

    path = settings.policy.policy_file
    document = load_policy_file(path, known_commands) if path is not None else None
    policy = RolePolicy(settings, document, store)
    policy.refresh()
    return policy


def _channel_denial(binding: ChannelBinding, outside: str) -> Decision:
    return Decision(
        Action.DENY,
        "channel-namespaces",
        f"This channel may only use namespace(s) {', '.join(binding.namespaces)}, not {outside}.",
    )


def _outside(namespace: str, allowed: Sequence[str]) -> str | None:
    # "*" in a bound channel means the bound namespaces: the commands narrow it themselves.
    return None if namespace == ALL_NAMESPACES or namespace in allowed else namespace
