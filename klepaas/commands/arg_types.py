"""Reusable argument types for command models: validated once, described for LLM tools and MCP.

Names follow the Kubernetes rules (RFC 1123), so a bad name is refused with a clear message
before any request reaches a cluster. Upper case is folded to lower case, since no Kubernetes
object name can contain it ("Nginx" means nginx).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

ALL_NAMESPACES = "*"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Docker/OCI reference: [registry[:port]/]path[:tag][@digest]
_IMAGE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*)/[A-Za-z0-9_.-]+$")
_GIT_REF = re.compile(r"^[A-Za-z0-9._/+-]{1,200}$")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")

# How much of a rejected value a message repeats: enough to recognise it, not a page of it.
SHOWN_CHARS = 60


def shown(value: str) -> str:
    """A value the user typed, as an error message repeats it: control and formatting characters
    (ANSI escapes, bidi overrides that would reorder the message) made visible as "�", and cut
    to SHOWN_CHARS."""
    visible = "".join("�" if unicodedata.category(c) in ("Cc", "Cf") else c for c in value)
    return visible if len(visible) <= SHOWN_CHARS else visible[: SHOWN_CHARS - 1] + "…"


def _fold(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _check_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f'"{shown(value)}" is not a valid name: use at most 63 lower-case letters, digits and "-", '
            "starting and ending with a letter or digit"
        )
    return value


def invalid_name_reason(value: str) -> str:
    """Why `value` is not a valid app (deployment, pod, service) name, for a person."""
    return (
        f'"{shown(value)}" is not a valid name: use lower-case letters, digits, "-" and ".", '
        "starting and ending with a letter or digit"
    )


def _check_subdomain(value: str) -> str:
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(invalid_name_reason(value))
    return value


def _check_namespace(value: str) -> str:
    if value in ("*", "all", "all-namespaces"):
        return ALL_NAMESPACES
    return _check_label(value)


def _check_image(value: str) -> str:
    value = value.strip()
    if len(value) > 512 or not _IMAGE.match(value):
        raise ValueError(
            f'"{shown(value)}" is not a valid image reference (e.g. nginx:1.27 or ghcr.io/acme/api:v2)'
        )
    return value


def _check_repo(value: str) -> str:
    value = value.strip().removeprefix("https://github.com/").removesuffix(".git")
    if not _REPO.match(value):
        raise ValueError(f'"{shown(value)}" is not a repository name like owner/name')
    return value


def _check_ref(value: str) -> str:
    value = value.strip()
    if not _GIT_REF.match(value) or ".." in value or value.endswith((".", "/")):
        raise ValueError(f'"{shown(value)}" is not a valid git ref (branch, tag or commit)')
    return value


def _check_sha(value: str) -> str:
    if not _SHA.match(value):
        raise ValueError(f'"{shown(value)}" is not a commit id (7 to 40 hexadecimal characters)')
    return value


K8sName = Annotated[
    str,
    BeforeValidator(_fold),
    AfterValidator(_check_subdomain),
    Field(description="Name of the app (deployment), pod or service, e.g. nginx", examples=["nginx"]),
]
DnsLabel = Annotated[str, BeforeValidator(_fold), AfterValidator(_check_label)]
Namespace = Annotated[
    str,
    BeforeValidator(_fold),
    AfterValidator(_check_namespace),
    Field(
        description='Kubernetes namespace; "*" means all namespaces. Omit for the channel\'s namespace.',
        examples=["default", "staging", "*"],
    ),
]
ContainerName = Annotated[
    str,
    BeforeValidator(_fold),
    AfterValidator(_check_label),
    Field(description="Container within the pod; omit for the main one"),
]
Replicas = Annotated[int, Field(ge=0, le=10_000, description="Number of pods to run")]
LogLines = Annotated[int, Field(ge=1, le=2000, description="How many of the latest log lines")]
Revision = Annotated[int, Field(ge=1, description="Rollout revision number (see rollout_history)")]
StepsBack = Annotated[int, Field(ge=1, le=50, description="How many revisions to go back (1 = previous)")]
ImageRef = Annotated[
    str,
    AfterValidator(_check_image),
    Field(description="Container image, e.g. nginx:1.27 or ghcr.io/acme/api:v2", examples=["nginx:1.27"]),
]
RepoName = Annotated[
    str,
    AfterValidator(_check_repo),
    Field(description="GitHub repository as owner/name", examples=["acme/api"]),
]
GitRef = Annotated[
    str, AfterValidator(_check_ref), Field(description="Git branch, tag or commit; used as the image tag")
]
CommitSha = Annotated[
    str,
    BeforeValidator(_fold),
    AfterValidator(_check_sha),
    Field(description="Git commit id (at least 7 characters)"),
]
Port = Annotated[int, Field(ge=1, le=65535, description="Container port the app listens on")]
StatusKind = Annotated[
    Literal["deployment", "pod", "service"],
    BeforeValidator(
        lambda v: {"app": "deployment", "deploy": "deployment", "svc": "service", "po": "pod"}.get(
            _fold(v), _fold(v)
        )
    ),
    Field(description="What the name refers to"),
]


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None."""
    match = _IMAGE.match(image)
    return match.group("tag") if match else None


def image_repository(image: str) -> str:
    """An image reference without its tag and digest: ghcr.io/acme/api:v2 -> ghcr.io/acme/api."""
    match = _IMAGE.match(image)
    if not match:
        return image.split("@", 1)[0].rsplit(":", 1)[0]
    registry = match.group("registry")
    return f"{registry}/{match.group('path')}" if registry else match.group("path")


def tag_for_ref(ref: str) -> str:
    """A git ref as an image tag: refs/tags/v1.2 -> v1.2, refs/heads/feature/x -> feature-x."""
    for prefix in ("refs/tags/", "refs/heads/"):
        ref = ref.removeprefix(prefix)
    tag = re.sub(r"[^\w.-]", "-", ref)[:128]
    return tag if re.match(r"^\w", tag) else f"v{tag}"[:128]


def is_commit(ref: str) -> bool:
    return bool(_SHA.match(ref.lower()))


def app_name_from_repo(repo: str) -> str:
    """owner/My_App -> my-app: a repository name as a deployment name."""
    name = repo.rsplit("/", 1)[-1].lower()
    name = re.sub(r"[^a-z0-9-]+", "-", name).strip("-")
    return name[:63].strip("-") or "app"
