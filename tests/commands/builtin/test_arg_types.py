"""Argument types: Kubernetes names, namespaces, images, refs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from klepaas.commands.arg_types import (
    ALL_NAMESPACES,
    CommitSha,
    GitRef,
    ImageRef,
    K8sName,
    Namespace,
    RepoName,
    StatusKind,
    app_name_from_repo,
    image_repository,
    image_tag,
    tag_for_ref,
)


class M(BaseModel):
    name: K8sName | None = None
    namespace: Namespace | None = None
    image: ImageRef | None = None
    repo: RepoName | None = None
    ref: GitRef | None = None
    commit: CommitSha | None = None
    kind: StatusKind = "deployment"


def test_names_are_folded_to_lower_case() -> None:
    assert M(name=" Nginx ").name == "nginx"


@pytest.mark.parametrize("bad", ["-nginx", "nginx-", "my_app", "a" * 254, "nginx!", ""])
def test_names_that_kubernetes_would_refuse_are_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ValidationError, match="is not a valid name"):
        M(name=bad)


@pytest.mark.parametrize(
    ("given", "expected"), [("*", ALL_NAMESPACES), ("all", ALL_NAMESPACES), ("Staging", "staging")]
)
def test_namespaces_accept_star_for_all(given: str, expected: str) -> None:
    assert M(namespace=given).namespace == expected


def test_a_namespace_is_a_dns_label_not_a_subdomain() -> None:
    with pytest.raises(ValidationError):
        M(namespace="team.staging")


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "ghcr.io/acme/api:v2.0.1",
        "localhost:5000/a/b:c",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        "nginx@sha256:" + "a" * 64,
    ],
)
def test_image_references_are_accepted(image: str) -> None:
    assert M(image=image).image == image


@pytest.mark.parametrize("image", ["Nginx:1", "nginx:", "nginx 1.27", "rm -rf /", "a//b"])
def test_malformed_images_are_refused(image: str) -> None:
    with pytest.raises(ValidationError, match="not a valid image reference"):
        M(image=image)


def test_repositories_may_be_given_as_urls() -> None:
    assert M(repo="https://github.com/acme/api.git").repo == "acme/api"


def test_refs_and_commits_are_checked() -> None:
    assert M(ref="refs/tags/v1.2.3").ref == "refs/tags/v1.2.3"
    assert M(commit="ABCDEF1").commit == "abcdef1"
    with pytest.raises(ValidationError):
        M(ref="main..evil")
    with pytest.raises(ValidationError, match="not a commit id"):
        M(commit="abc")


def test_kind_aliases_are_understood() -> None:
    assert M(kind="svc").kind == "service"
    assert M(kind="App").kind == "deployment"


def test_image_helpers_split_repository_and_tag() -> None:
    assert image_repository("ghcr.io/acme/api:v2") == "ghcr.io/acme/api"
    assert image_repository("localhost:5000/api") == "localhost:5000/api"
    assert image_tag("ghcr.io/acme/api:v2") == "v2"
    assert image_tag("nginx") is None


def test_refs_become_image_tags_and_repositories_app_names() -> None:
    assert tag_for_ref("refs/tags/v1.2.3") == "v1.2.3"
    assert tag_for_ref("refs/heads/feature/login") == "feature-login"
    assert app_name_from_repo("acme/My_Service") == "my-service"


def test_a_rejected_value_is_repeated_short_and_with_its_hidden_characters_made_visible() -> None:
    with pytest.raises(ValidationError) as long_name:
        M(name="a" * 100_000 + "_")
    with pytest.raises(ValidationError) as reordered:
        M(name="nginx\u202eevil")  # a right-to-left override would reorder the message around it
    with pytest.raises(ValidationError) as escaped:
        M(image="\x1b[31mnginx:1.27")

    long_message = long_name.value.errors()[0]["msg"]
    assert len(long_message) < 200 and '"' + "a" * 59 + '…"' in long_message
    assert '"nginx�evil" is not a valid name' in reordered.value.errors()[0]["msg"]
    assert '"�[31mnginx:1.27" is not a valid image reference' in escaped.value.errors()[0]["msg"]
