"""Policy documents the safety tests share: DESIGN §3's example, plus a Kubernetes identity."""

from __future__ import annotations

from klepaas.commands.builtin import build_registry
from klepaas.commands.policy import RolePolicy
from klepaas.commands.policy_file import parse_policy
from klepaas.config import KubeSettings, Settings
from klepaas.storage.policy_store import PolicyStore

VIEWER, OPERATOR, ADMIN, DEPLOYER, JANE = "U0VIEW", "U0OPER", "U0ADMN", "U0DEPL", "U0JANE"
STAGING_CHANNEL, UNBOUND_CHANNEL = "C0STAGING", "C0ANY"

POLICY_YAML = f"""
default_role: viewer
roles:
  deployer: [k8s:read, k8s:write, deploy:execute]
users:
  {OPERATOR}: {{roles: [operator]}}
  {ADMIN}: {{roles: [admin], groups: [sre]}}
  {DEPLOYER}: {{roles: [deployer]}}
  {JANE}: {{roles: [operator], kubernetes: {{user: jane, groups: [dev]}}}}
channels:
  {STAGING_CHANNEL}: {{cluster: default, namespaces: [staging]}}
approvals:
  - name: write-in-staging
    match: {{risk: [write], namespaces: [default, staging]}}
    approvers: {{roles: [operator, admin]}}
    self_approve: true
  - name: dangerous-by-sre
    match: {{risk: [dangerous]}}
    approvers: {{groups: [sre]}}
    self_approve: true
    ttl: 10m
"""

SETTINGS = Settings(kube=KubeSettings(K8S_PRODUCTION_NAMESPACE="production"))
REGISTRY = build_registry()


def role_policy(store: PolicyStore | None = None, text: str = POLICY_YAML) -> RolePolicy:
    document = parse_policy(text, "test policy")
    document.check_commands(REGISTRY.names())
    policy = RolePolicy(SETTINGS, document, store)
    policy.refresh()
    return policy
