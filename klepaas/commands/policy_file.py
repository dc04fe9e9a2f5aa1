"""The policy file (`KLEPAAS_POLICY_FILE`, YAML): roles, users, channel bindings, approval rules.

The schema of DESIGN §3 as pydantic models (documented in docs/policy.md). `load_policy_file`
reads and validates it at start-up; every problem is a `ConfigError` naming the file and the
field (`users.U0G9QF9C6.roles[0]: unknown role 'opertor'`), never a half-loaded policy.

    default_role: viewer
    roles: {deployer: [k8s:read, k8s:write, deploy:execute]}
    users: {U0G9QF9C6: {roles: [admin], groups: [sre], kubernetes: {user: jane, groups: [sre]}}}
    channels: {C061EG9SL: {cluster: default, namespaces: [staging]}}
    approvals:
      - match: {risk: [write], namespaces: [default, staging]}
        approvers: {roles: [operator, admin]}
        self_approve: true
        ttl: 15m
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from klepaas.commands.registry import Risk, Scope
from klepaas.errors import ConfigError

# The built-in roles; a policy file may add roles but not redefine these.
BUILTIN_ROLES: dict[str, tuple[Scope, ...]] = {
    "viewer": (Scope.K8S_READ,),
    "operator": (Scope.K8S_READ, Scope.K8S_WRITE, Scope.DEPLOY_EXECUTE, Scope.MCP_EXECUTE),
    "admin": tuple(Scope),
}

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KubernetesIdentity(_Strict):
    """Who the cluster sees when this person runs a command (sent as Impersonate-User/-Group)."""

    user: str = Field(min_length=1)
    groups: list[str] = Field(default_factory=list)


class UserEntry(_Strict):
    roles: list[str] = Field(default_factory=list)
    # Approver groups this person belongs to (approval rules may name them); the Kubernetes
    # identity's groups count as well.
    groups: list[str] = Field(default_factory=list)
    kubernetes: KubernetesIdentity | None = None


class ChannelEntry(_Strict):
    cluster: str | None = None  # kubeconfig context; None = the default one
    namespaces: list[str] = Field(min_length=1)  # the first is the channel's default


class Match(_Strict):
    """Which requests a rule covers; an empty list matches anything."""

    risk: list[Risk] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)
    clusters: list[str] = Field(default_factory=list)

    def covers(self, command: str, risk: Risk, namespace: str | None, cluster: str | None) -> bool:
        if self.risk and risk not in self.risk:
            return False
        if self.commands and command not in self.commands:
            return False
        if self.namespaces and (namespace is None or namespace not in self.namespaces):
            return False
        return not self.clusters or (cluster or "default") in self.clusters


class Approvers(_Strict):
    """Who may approve: anyone holding one of `roles`, listed in `users`, or in one of `groups`.
    All empty means anyone (but the requester, unless self-approval applies)."""

    roles: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)

    @property
    def anyone(self) -> bool:
        return not (self.roles or self.users or self.groups)


class ApprovalRule(_Strict):
    name: str | None = None  # shown in the audit log; default "approvals[N]"
    match: Match = Field(default_factory=Match)
    approvers: Approvers = Field(default_factory=Approvers)
    # The requester may approve their own `write` outside production; never `dangerous` or production.
    self_approve: bool = False
    ttl: int | None = None  # seconds (or "15m", "2h"); None = KLEPAAS_APPROVAL_TTL

    @field_validator("ttl", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            found = _DURATION.match(value)
            if found is None:
                raise ValueError(f"{value!r} is not a duration (e.g. 900, 900s, 15m, 2h)")
            return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
        return value

    @field_validator("ttl")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("must be more than 0 seconds")
        return value


class PolicyFile(_Strict):
    default_role: str = "viewer"  # for users not listed
    roles: dict[str, list[Scope]] = Field(default_factory=dict)
    users: dict[str, UserEntry] = Field(default_factory=dict)
    channels: dict[str, ChannelEntry] = Field(default_factory=dict)
    approvals: list[ApprovalRule] = Field(default_factory=list)

    @field_validator("roles")
    @classmethod
    def _no_builtin_redefined(cls, roles: dict[str, list[Scope]]) -> dict[str, list[Scope]]:
        clash = sorted(set(roles) & set(BUILTIN_ROLES))
        if clash:
            raise ValueError(f"{', '.join(clash)} is built in and cannot be redefined; pick another name")
        return roles

    @model_validator(mode="after")
    def _roles_exist(self) -> PolicyFile:
        known = self.role_names()
        problems: list[str] = []
        if self.default_role not in known:
            problems.append(f"default_role: unknown role {self.default_role!r}")
        for user, entry in self.users.items():
            problems += [
                f"users.{user}.roles[{i}]: unknown role {role!r}"
                for i, role in enumerate(entry.roles)
                if role not in known
            ]
        for n, rule in enumerate(self.approvals):
            problems += [
                f"approvals[{n}].approvers.roles[{i}]: unknown role {role!r}"
                for i, role in enumerate(rule.approvers.roles)
                if role not in known
            ]
        if problems:
            raise ValueError("; ".join(problems) + f" (known roles: {', '.join(sorted(known))})")
        return self

    def role_names(self) -> set[str]:
        return set(BUILTIN_ROLES) | set(self.roles)

    def scopes_of(self, role: str) -> tuple[Scope, ...]:
        if role in BUILTIN_ROLES:
            return BUILTIN_ROLES[role]
        return tuple(self.roles.get(role, ()))

    def rule_name(self, index: int) -> str:
        return self.approvals[index].name or f"approvals[{index}]"

    def check_commands(self, known: Iterable[str], source: str = "policy file") -> None:
        """Every command an approval rule names must exist (a typo would silently match nothing)."""
        names = set(known)
        for n, rule in enumerate(self.approvals):
            for i, command in enumerate(rule.match.commands):
                if command not in names:
                    raise ConfigError(
                        f"{source}: approvals[{n}].match.commands[{i}]: unknown command {command!r}",
                        hint=f"commands are: {', '.join(sorted(names))}",
                    )


def parse_policy(text: str, source: str = "policy file") -> PolicyFile:
    """Validate a policy document; `source` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{source}: {problem}{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the policy must be a mapping (default_role, roles, users, ...)")
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc)}", hint="see docs/policy.md for the schema") from None


def load_policy_file(path: Path, known_commands: Iterable[str] | None = None) -> PolicyFile:
    """Read and validate the policy file at `path` (KLEPAAS_POLICY_FILE)."""
    source = f"KLEPAAS_POLICY_FILE {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read ({exc.strerror or exc})") from None
    policy = parse_policy(text, source)
    if known_commands is not None:
        policy.check_commands(known_commands, source)
    return policy


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        location = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", location)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{location}: {message}" if location else message)
    return "; ".join(problems)
