"""Which container images misbehave in the sandbox cluster, and how.

The simulated kubelet asks `FailureRules.behaviour_for(image)` once per container. The first
rule whose matcher accepts the image decides; an image no rule matches runs normally.

Default rules (by image tag, the part after the last ``:`` of the last path segment):

- tag ``crash`` or ending in ``-crash`` (``api:crash``, ``api:1.5.0-crash``): the container
  starts, exits with code 1 (reason ``Error``) before it becomes ready, and is restarted with a
  growing back-off: ``CrashLoopBackOff`` with an increasing ``restartCount``;
- tag ``oom`` or ending in ``-oom``: the same, but the container is killed with exit code 137,
  reason ``OOMKilled``, then ``CrashLoopBackOff``;
- tag ``missing`` or ending in ``-missing``: the image cannot be pulled; the container waits with
  ``ErrImagePull`` then ``ImagePullBackOff`` and the pod stays ``Pending``.

Tests add their own rules in front of the defaults::

    rules = FailureRules()
    rules.add(image_glob("ghcr.io/acme/flaky:*"), Behaviour.CRASH)
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

ImageMatcher = Callable[[str], bool]


class Behaviour(StrEnum):
    RUN = "run"
    CRASH = "crash"  # exit 1, reason Error, then CrashLoopBackOff
    OOM = "oom"  # exit 137, reason OOMKilled, then CrashLoopBackOff
    PULL_FAIL = "pull-fail"  # ErrImagePull / ImagePullBackOff

    @property
    def crashes(self) -> bool:
        return self in (Behaviour.CRASH, Behaviour.OOM)


@dataclass(frozen=True)
class Termination:
    exit_code: int
    reason: str


TERMINATIONS: dict[Behaviour, Termination] = {
    Behaviour.CRASH: Termination(1, "Error"),
    Behaviour.OOM: Termination(137, "OOMKilled"),
}


def image_tag(image: str) -> str:
    """The tag of an image reference ('latest' when there is none); a digest is ignored."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def tag_is(*tags: str) -> ImageMatcher:
    wanted = set(tags)
    return lambda image: image_tag(image) in wanted


def tag_endswith(suffix: str) -> ImageMatcher:
    return lambda image: image_tag(image).endswith(suffix)


def image_glob(pattern: str) -> ImageMatcher:
    """Match the whole image reference against a shell-style pattern."""
    return lambda image: fnmatch.fnmatchcase(image, pattern)


def any_of(*matchers: ImageMatcher) -> ImageMatcher:
    return lambda image: any(m(image) for m in matchers)


@dataclass(frozen=True)
class FailureRule:
    matcher: ImageMatcher
    behaviour: Behaviour
    description: str = ""


def default_rules() -> list[FailureRule]:
    return [
        FailureRule(any_of(tag_is("crash"), tag_endswith("-crash")), Behaviour.CRASH,
                    "tag 'crash' or '*-crash' crash-loops"),
        FailureRule(any_of(tag_is("oom"), tag_endswith("-oom")), Behaviour.OOM,
                    "tag 'oom' or '*-oom' is OOMKilled"),
        FailureRule(any_of(tag_is("missing"), tag_endswith("-missing")), Behaviour.PULL_FAIL,
                    "tag 'missing' or '*-missing' cannot be pulled"),
    ]


class FailureRules:
    """An ordered list of rules; the first match wins."""

    def __init__(self, rules: Iterable[FailureRule] | None = None) -> None:
        self.rules: list[FailureRule] = list(default_rules() if rules is None else rules)

    def add(self, matcher: ImageMatcher, behaviour: Behaviour, description: str = "") -> FailureRule:
        """Add a rule that takes precedence over every rule already present."""
        rule = FailureRule(matcher, behaviour, description)
        self.rules.insert(0, rule)
        return rule

    def remove(self, rule: FailureRule) -> None:
        self.rules.remove(rule)

    def behaviour_for(self, image: str) -> Behaviour:
        for rule in self.rules:
            if rule.matcher(image):
                return rule.behaviour
        return Behaviour.RUN
