"""Authentication (bearer tokens), impersonation and a small RBAC table for the sandbox API server.

    auth = Auth()                                   # an admin user with a random token
    token = auth.add_user("bob", groups=["dev"])
    auth.bind_role("bob", "view", namespaces=["staging"])
    auth.grant("dev", Rule(verbs=("patch",), resources=("deployments", "deployments/scale"),
                           api_groups=("apps",)), kind="Group")

Decisions and messages follow the real API server: no or an unknown token is a 401 `Unauthorized`;
a denied request is a 403 `Forbidden` whose message names user, verb, resource, group and namespace.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from klepaas.k8s.sandbox.store import StoreError

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
ADMIN_USER = "sandbox-admin"


@dataclass(frozen=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return MASTERS in self.groups


@dataclass(frozen=True)
class Attributes:
    """One authorization question: may `user` `verb` this resource?"""

    verb: str
    resource: str  # plural, e.g. "deployments"
    api_group: str = ""
    subresource: str = ""
    namespace: str = ""  # "" = cluster scope (or all namespaces)
    name: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.resource}.{self.api_group}" if self.api_group else self.resource


@dataclass(frozen=True)
class Rule:
    """Verbs on resources (`pods`, `pods/log`, `*/scale`, `*`) in API groups, in some namespaces.

    `namespaces=None` means every namespace and the cluster scope; a tuple limits the rule to
    requests inside those namespaces. Empty `resource_names` means any name.
    """

    verbs: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    api_groups: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] | None = None
    resource_names: tuple[str, ...] = ()

    def allows(self, a: Attributes) -> bool:
        if "*" not in self.verbs and a.verb not in self.verbs:
            return False
        if "*" not in self.api_groups and a.api_group not in self.api_groups:
            return False
        combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
        if not any(r in ("*", combined) or (a.subresource and r == f"*/{a.subresource}")
                   for r in self.resources):
            return False
        if self.namespaces is not None and (not a.namespace or a.namespace not in self.namespaces):
            return False
        return not self.resource_names or a.name in self.resource_names


_READ = ("get", "list", "watch")
_WRITE = ("create", "update", "patch", "delete", "deletecollection")
ROLES: dict[str, tuple[Rule, ...]] = {
    "view": (Rule(_READ, ("*",)),),
    "edit": (Rule((*_READ, *_WRITE), ("*",)),),
    "admin": (Rule((*_READ, *_WRITE), ("*",)),),  # like edit here; neither may impersonate
    "cluster-admin": (Rule(("*",), ("*",)),),  # everything, impersonation included
}


@dataclass
class _Binding:
    kind: str  # "User" or "Group"
    subject: str
    rule: Rule


class Auth:
    """Tokens, users and RBAC bindings. The admin user (group system:masters) may do anything."""

    def __init__(self, admin_token: str | None = None) -> None:
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self._tokens: dict[str, UserInfo] = {self.admin_token: UserInfo(ADMIN_USER, (MASTERS,))}
        self._bindings: list[_Binding] = []

    # ---- administration ---------------------------------------------------------------------------
    def add_user(self, name: str, *, token: str | None = None, groups: Iterable[str] = ()) -> str:
        """Register a user and return its bearer token (a new random one unless given)."""
        token = token or secrets.token_urlsafe(24)
        self._tokens[token] = UserInfo(name, tuple(groups))
        return token

    def grant(self, subject: str, rule: Rule, *, kind: str = "User") -> None:
        if kind not in ("User", "Group"):
            raise ValueError(f"subject kind must be User or Group, not {kind!r}")
        self._bindings.append(_Binding(kind, subject, rule))

    def bind_role(self, subject: str, role: str, *, namespaces: Iterable[str] | None = None,
                  kind: str = "User") -> None:
        """Give `subject` a built-in role (view, edit, admin, cluster-admin) in `namespaces` (or all)."""
        scope = tuple(namespaces) if namespaces is not None else None
        for rule in ROLES[role]:
            self.grant(subject, Rule(rule.verbs, rule.resources, rule.api_groups, scope), kind=kind)

    def allow_impersonation(self, subject: str, *, users: Iterable[str] = ("*",),
                            groups: Iterable[str] = ("*",), kind: str = "User") -> None:
        user_names, group_names = tuple(users), tuple(groups)
        self.grant(subject, Rule(("impersonate",), ("users",), ("",),
                                 resource_names=() if "*" in user_names else user_names), kind=kind)
        self.grant(subject, Rule(("impersonate",), ("groups",), ("",),
                                 resource_names=() if "*" in group_names else group_names), kind=kind)

    # ---- decisions -------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> UserInfo:
        scheme, _, token = (authorization or "").partition(" ")
        user = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise StoreError(401, "Unauthorized", "Unauthorized")
        return UserInfo(user.name, (*user.groups, AUTHENTICATED))

    def allowed(self, user: UserInfo, attrs: Attributes) -> bool:
        if user.is_admin:
            return True
        return any(b.rule.allows(attrs) for b in self._bindings if self._binds(b, user))

    @staticmethod
    def _binds(binding: _Binding, user: UserInfo) -> bool:
        if binding.kind == "User":
            return binding.subject == user.name
        return binding.subject in user.groups

    def authorize(self, user: UserInfo, attrs: Attributes) -> None:
        if not self.allowed(user, attrs):
            raise forbidden(user, attrs)

    def impersonate(self, user: UserInfo, headers: Mapping[str, str], header_list: list[str]) -> UserInfo:
        """Apply Impersonate-User / Impersonate-Group headers, if the requester may impersonate."""
        target = headers.get("Impersonate-User")
        groups = [g.strip() for g in header_list if g.strip()]
        if target is None:
            if groups:
                raise StoreError(400, "BadRequest",
                                 "requested impersonation of groups without impersonating a user")
            return user
        checks = [Attributes("impersonate", "users", name=target)]
        checks += [Attributes("impersonate", "groups", name=g) for g in groups]
        for attrs in checks:
            self.authorize(user, attrs)
        return UserInfo(target, (*groups, AUTHENTICATED))


def forbidden(user: UserInfo, a: Attributes) -> StoreError:
    subject = f'{a.qualified} "{a.name}"' if a.name else a.qualified
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    scope = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
    message = (f'{subject} is forbidden: User "{user.name}" cannot {a.verb} resource "{resource}" in API '
               f'group "{a.api_group}" {scope}')
    details: dict[str, str] = {"kind": a.resource}
    if a.name:
        details["name"] = a.name
    if a.api_group:
        details["group"] = a.api_group
    return StoreError(403, "Forbidden", message, details)


def forbidden_path(user: UserInfo, verb: str, path: str) -> StoreError:
    return StoreError(403, "Forbidden", f'forbidden: User "{user.name}" cannot {verb} path "{path}"')
