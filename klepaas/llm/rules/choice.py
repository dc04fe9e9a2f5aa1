"""Which command a text asks for, from its intent signals, resource nouns and whether it names an app.

The strongest command signal usually wins. The exceptions are written out here:
- "stop"/"꺼줘" without a restart or scale word is a question (there is no stop command);
- small talk that names no app is answered with help;
- "help" wins unless the text also names an app and another command ("help me restart nginx");
- a resource noun decides between lists and single objects: "파드 목록" → list_pods,
  "api 디플로이먼트 정보" → get_deployment, "api 파드 상태" → status kind=pod;
- two action commands of about the same strength ("api 재시작하고 로그 보여줘") are a question.
  `status`, `overview` and `help` are what people say around other requests, so they yield.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from klepaas.llm.rules.entities import Entities
from klepaas.llm.rules.signals import Signals
from klepaas.llm.rules.vocabulary import COMMAND_SIGNALS

LIST_COMMANDS = {
    "pod": "list_pods", "deployment": "list_deployments", "service": "list_services",
    "ingress": "list_ingresses", "endpoints": "list_endpoints", "namespace": "list_namespaces",
    "app": "list_apps", "service_ko": "list_services", "pods_ko": "list_pods",
}
_GET_COMMANDS = {"deployment": "get_deployment", "service": "get_service", "service_ko": "get_service"}
WEAK = frozenset({"status", "help", "overview"})
ACTIONS = frozenset(
    {"restart", "scale", "rollback", "deploy", "logs", "endpoint", "rollout_history", "cost_analysis"}
)
_NAMED_KINDS = frozenset({"pod", "service", "deployment"})
# Commands for which one unknown word after "in"/에서 is more likely the app than a namespace.
_NAMED_COMMANDS = ("restart", "scale", "rollback", "logs", "status", "endpoint", "rollout_history", "deploy")

Verdict = Literal["command", "which", "help", "stop", "smalltalk", "none"]


@dataclass(frozen=True)
class Choice:
    verdict: Verdict
    command: str | None = None
    kind: str | None = None  # status kind implied by a resource noun
    score: float = 0.0
    runner_up: float = 0.0
    contenders: list[str] = field(default_factory=list)


def choose(sig: Signals, ents: Entities, has_name: bool, known: set[str]) -> Choice:
    """The command the signals point at, among the `known` command names."""
    scores = {c: sig.get(c) for c in COMMAND_SIGNALS if sig.get(c) > 0 and c in known}
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0] in WEAK, kv[0]))  # the same on every run
    top, top_score = ranked[0] if ranked else (None, 0.0)

    # "0개로 내려줘", "bring it down to 2": a target count makes "down"/내려 a scale, not a stop
    target = ents.replicas is not None and ents.replicas_absolute
    if sig.has("stop") and max(sig.get("restart"), sig.get("scale")) < 3 and not target:
        return Choice("stop")
    if sig.has("smalltalk") and not has_name and top_score < 3:
        return Choice("smalltalk")
    if top == "help" or (sig.get("help") >= 4 and top_score - sig.get("help") < 1):
        others = [(c, s) for c, s in ranked if c != "help" and s >= 2.5]
        if not (others and has_name and not sig.has("question")):
            return Choice("help", "help", score=4.0)
        ranked = others
        top, top_score = ranked[0]

    if top == "overview" and has_name and sig.has("status"):
        # overview takes no app: "anything wrong with checkout?" is that app's status
        top, top_score = "status", max(top_score, sig.get("status"))
    by_resource = _by_resource(sig, ents, _resource(sig.resources), has_name, top, top_score)
    if by_resource is not None:
        command, kind = by_resource
        return Choice("command", command, kind, score=max(top_score, 2.5))
    if top is None:
        return Choice("none")
    contenders = [
        c for c, s in ranked
        if c in ACTIONS and s >= 3 and top_score - s < 1.0 and (c != "deploy" or has_deploy_values(ents))
    ]
    if len(contenders) >= 2 and top in ACTIONS:
        return Choice("which", contenders=contenders)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return Choice("command", top, score=top_score, runner_up=runner_up)


def name_is_likely(sig: Signals) -> bool:
    """With a single unknown word after "in"/에서 and a command that needs an app, it is the app."""
    return any(sig.get(c) >= 2.5 for c in _NAMED_COMMANDS)


def has_deploy_values(ents: Entities) -> bool:
    return bool(ents.image or ents.repo)


def _resource(resources: list[str]) -> str | None:
    """The resource the text is about: a specific one (pods, services…) before the generic "app"."""
    specific = [r for r in resources if r != "app"]
    if specific:
        return specific[0]
    return resources[0] if resources else None


def _by_resource(
    sig: Signals, ents: Entities, resource: str | None, has_name: bool, top: str | None, top_score: float
) -> tuple[str, str | None] | None:
    """A (command, kind) chosen because the text is about pods/services/…, or None."""
    if resource is None and ents.kind and has_name:
        resource = ents.kind
    if resource is None and ents.all_namespaces and sig.has("list") and top is None and not has_name:
        resource = "namespace"  # "list all namespaces": the words that said it were taken as "-A"
    if resource is None:
        return None
    strong = top is not None and top_score >= 3 and top not in {"status", "overview", "endpoint", "deploy"}
    if strong and top is not None:
        return top, None
    if resource == "ingress" and has_name and top == "endpoint":
        return "endpoint", None  # "api 인그레스 URL": how to reach that app
    if resource in {"ingress", "namespace"}:
        return LIST_COMMANDS[resource], None
    describe, listing = sig.has("describe"), sig.get("list")
    if has_name and not (listing >= 2.5 and not describe and top != "status"):
        if resource == "endpoints" or top == "endpoint":
            return "endpoint", None
        if (describe or top is None) and resource in _GET_COMMANDS:
            return _GET_COMMANDS[resource], None
        if top in {None, "status"} and resource in _NAMED_KINDS | {"service_ko", "pods_ko"}:
            return "status", resource if resource in _NAMED_KINDS else None
        if top == "deploy" and resource == "deployment" and not has_deploy_values(ents):
            return "get_deployment", None
        return None
    if top == "deploy" and top_score >= 3 and has_deploy_values(ents):
        return None
    if top == "deploy" and resource == "app" and listing < 2.5:
        return None  # "전체 앱 최신으로 배포": a deploy (asked about), not a list of apps
    if top == "endpoint" and resource != "endpoints" and listing < 1.5:
        return None
    return LIST_COMMANDS[resource], None
