"""Argument values found in normalized text: namespaces, images, repos, refs, commits, numbers.

`extract(text, namespaces)` runs the extractors in a fixed order; each one *consumes* what it
matched (the span is blanked), so a later extractor or the name finder never sees it again:
"nginx:1.27" is an image and not a name, "staging" in "-n staging" is a namespace and not a name,
"100" in "100줄" is a line count and not a replica count.

Numbers carry a *unit* decided by the words around them (개/대/replicas → replicas, 줄/lines →
lines, revision/리비전 → revision, "N versions back"/"N단계 전" → steps back). A number with no
unit stays in `bare_numbers`; the parser gives it to the command's numeric argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from klepaas.llm.rules.numbers import DIGITS, NUMBER, NUMBER_OR_SINO, ORDINALS, to_int
from klepaas.llm.rules.stopwords import STOPWORDS

NAME = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_NAME_RE = re.compile(rf"^{NAME}$")
_B = r"(?<= )"  # token start (the text is space-padded)
_E = r"(?= )"  # token end


def is_k8s_name(token: str) -> bool:
    """An RFC 1123 label: lowercase alphanumerics and '-', at most 63, alphanumeric at both ends."""
    return bool(_NAME_RE.match(token)) and not token.isdigit()


@dataclass(frozen=True)
class NamespaceVocab:
    """Which words are namespaces. Aliases map everyday words to the configured names."""

    known: frozenset[str]
    aliases: dict[str, str]

    def resolve(self, word: str) -> str:
        return self.aliases.get(word, word)

    def is_known(self, word: str) -> bool:
        return word in self.known or word in self.aliases


def namespace_vocab(
    staging: str = "staging",
    production: str = "production",
    bound: Iterable[str] = (),
) -> NamespaceVocab:
    bound_set = frozenset(bound)
    aliases = {
        "prod": production, "prd": production, "production": production, "live": production,
        "stg": staging, "stage": staging, "staging": staging,
    }
    # A namespace the channel really has keeps its own name ("prod" stays "prod" if it exists).
    aliases = {k: v for k, v in aliases.items() if k not in bound_set or k == v}
    known = frozenset(
        {"default", "kube-system", "kube-public", "dev", "development", "qa", "test", "uat", "sandbox",
         "monitoring", "preview", "perf", "canary", staging, production}
        | bound_set
    )
    return NamespaceVocab(known=known, aliases=aliases)


# Korean words for namespaces; each maps to an alias key of NamespaceVocab.
_KO_NAMESPACES: list[tuple[str, str]] = [
    (r"스테이징|스테이지|스테이징서버", "staging"),
    (r"프로덕션|프로덕숀|프로드|상용(?:\s?환경|\s?서버)?", "production"),
    # 운영 = production, except in 운영 중 (running), 운영하는 (operating), 운영팀 (the ops team) …
    (r"운영(?!비)(?!\s?(?:중|하|팀|자|진|체|방|정|되|해|상))", "production"),
    # 개발 = dev before a place word, and first in the text before a latin name or a resource noun
    # ("개발 api 재시작", "개발 파드 목록"), not in 개발팀 or "api 개발 끝났어"
    (r"개발(?=\s?(?:환경|서버|계|쪽|에서|에|네임스페이스))|데브"
     r"|(?<=^ )개발(?= (?:[a-z][a-z0-9\-]* |파드|포드|디플로이|앱|서비스|인그레스))", "dev"),
    (r"기본(?=\s?(?:네임스페이스|namespace|ns))", "default"),
    (r"테스트(?=\s?(?:환경|서버|네임스페이스|에서))", "test"),
]


@dataclass
class Entities:
    namespace: str | None = None
    namespace_certain: bool = False
    # "in X" / "X에서" where X is not a known namespace: a namespace only if another name exists.
    soft_namespaces: list[str] = field(default_factory=list)
    all_namespaces: bool = False
    name: str | None = None  # from "deployment/api", "--name api"
    kind: str | None = None
    image: str | None = None
    repo: str | None = None
    ref: str | None = None
    commit: str | None = None
    version: str | None = None  # "v5.0.0-rc1", "1.27" said alone: a tag of the app's current image
    port: int | None = None  # "포트 8080", "on port 6379": the port a new app listens on
    revision: int | None = None
    steps_back: int | None = None
    lines: int | None = None
    lines_more: bool = False  # "50줄 더", "50 more lines": more than the last time, not a total
    replicas: int | None = None
    replicas_absolute: bool = False  # "3개로", "to 3", "replicas=3" (a target), not "3개 더" (a change)
    relative: bool = False  # "한 대 더", "two more pods", "add 2 replicas": a change, not a target
    count_question: bool = False  # "몇 개", "how many": asks for a count, never sets one
    since: str | None = None  # "최근 6시간", "last 30m" → "6h", "30m"
    # "3일 전", "yesterday", "2 hours ago": a moment in the past (a rollback's `at`; a vague one,
    # "지난주", is asked about). `moment_text` is the text that said it, space-padded.
    point_in_time: bool = False
    moment_text: str = ""
    # "내일", "in 10 minutes", "10 minutes from now": a moment to come; nothing is done later
    future: bool = False
    metric: str | None = None  # cpu, memory, requests, restarts
    bare_numbers: list[int] = field(default_factory=list)
    previous: bool = False
    container: str | None = None
    all_pods: bool = False
    also: bool = False  # "staging도", "in prod too"
    entries: int | None = None  # "최근 50건", "last 5 actions": how many log entries (history, audit)
    # "who restarted api?", "누가 api 배포했어?": asks about the past, never orders the action said
    asks_who: bool = False
    # "몇 번 재시작했어?", "how many times has api restarted": a count of the past, not a restart
    asks_count: bool = False
    there: bool = False  # "the ingresses there?", "거기": the namespace of the previous request
    delegate: bool = False  # "알아서 해줘": what to do is left to the bot
    vague_target: bool = False  # "the good version", "잘 되던 버전": no revision anyone could name
    # Extra weight for commands implied by the values found (lines → logs, image → deploy).
    hints: dict[str, float] = field(default_factory=dict)
    residual: str = ""

    def hint(self, signal: str, weight: float) -> None:
        self.hints[signal] = self.hints.get(signal, 0.0) + weight


_Handler = Callable[[re.Match[str], Entities, NamespaceVocab], bool]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    handle: _Handler


def _rule(pattern: str, handle: _Handler) -> _Rule:
    return _Rule(re.compile(pattern), handle)


# ---- handlers: each stores what the match means and returns whether to consume it -----------

_KIND_WORDS = {
    "deployment": "deployment", "deployments": "deployment", "deploy": "deployment",
    "deploy.apps": "deployment", "pod": "pod", "pods": "pod", "po": "pod", "service": "service",
    "services": "service", "svc": "service",
}


def _kind_name(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.kind = _KIND_WORDS[m["kind"]]
    e.name = m["name"]
    return True


# "release/1.4", "feature/login": branch names, not owner/repo.
_REF_PREFIXES = frozenset({"release", "releases", "hotfix", "feature", "feat", "fix", "bugfix", "refs"})

_NOT_REFS = frozenset({"of", "to", "from", "in", "on", "at", "for", "the", "a", "an", "and", "with", "into",
                       "called", "named", "please", "pls", "now"})

_NOT_IMAGE_HEADS = frozenset({"ns", "namespace", "n", "repo", "ref", "tag", "rev", "revision", "commit",
                              "replicas", "lines", "container", "http", "https", "to", "kind", "branch"})


def _image(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    image = m["image"]
    if image in STOPWORDS:
        return False
    head = image.split("/", 1)[0].split(":", 1)[0]
    if head in _NOT_IMAGE_HEADS:
        return False
    e.image = image
    e.hint("deploy", 2.5)
    return True


def _repo(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    owner, _, rest = m["repo"].partition("/")
    if owner in _KIND_WORDS or owner in _REF_PREFIXES or owner in {"ns", "namespace"} or "/" in rest:
        return False
    e.repo = m["repo"].removesuffix(".git")
    if m.groupdict().get("ref"):
        e.ref = m["ref"]
    e.hint("deploy", 2)
    return True


def _ref(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    if m["ref"] in _NOT_REFS:  # "the branch of acme/web": "of" is no ref
        return False
    e.ref = m["ref"]
    return True


def _version(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.version = e.version or m["v"]
    return True


def _port(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = int(m["n"] or m["n2"])
    if not 1 <= value <= 65535:
        return False
    e.port = value
    return True


def _commit(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = m["commit"]
    certain = m.groupdict().get("kw") is not None
    if not certain and not (re.search(r"\d", value) and re.search(r"[a-f]", value)):
        return False
    e.commit = value
    e.hint("rollback", 1)
    return True


def _lines(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = to_int(m["n"])
    if value is None:
        return False
    e.lines = value
    e.hint("logs", 2)
    return True


def _more_lines(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = to_int(m["n"])
    if value is None:
        return False
    e.lines, e.lines_more = value, True
    e.hint("logs", 2)
    return True


def _point_in_time(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.point_in_time = True
    e.moment_text = e.moment_text or f" {m.group(0)} "
    return True


def _future_moment(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """A moment to come: no revision was live then, and no write waits for it."""
    e.future = e.point_in_time = True
    e.moment_text = e.moment_text or f" {m.group(0)} "
    return True


def _year(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """"2099년 버전": a year is a moment too vague to be one instant, and no revision number."""
    e.point_in_time = True
    e.moment_text = e.moment_text or f" {m.group(0)} "
    return True


def _decimal_count(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """"2.0개로" is 2; "1.5개로" is no count anyone can run: asked for (as a vague count)."""
    whole, _, fraction = (m["n"] or m["n2"]).partition(".")
    if fraction.strip("0"):
        return _relative(m, e, vocab)
    e.replicas, e.replicas_absolute = int(whole), True
    e.hint("scale", 2.5)
    return True


def _http_code(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.hint("status", 2.5)
    return False  # left as a bare number: "scale api 500" still has its count


def _all_namespaces(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.all_namespaces = True
    e.namespace, e.namespace_certain = "*", True
    return True


def _ns_certain(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    word = m["ns"]
    if word in _NOT_NAMESPACES:
        return False
    e.namespace, e.namespace_certain = vocab.resolve(word), True
    if m.groupdict().get("also"):
        e.also = True
    return True


def _ns_known(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    word = m["ns"]
    if not vocab.is_known(word):
        return False
    e.namespace, e.namespace_certain = vocab.resolve(word), True
    if m.groupdict().get("also"):
        e.also = True
    return True


def _ns_soft(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    word = m["ns"]
    if vocab.is_known(word):
        return _ns_known(m, e, vocab)
    if word not in _NOT_NAMESPACES:
        e.soft_namespaces.append(word)
        if m.groupdict().get("also"):
            e.also = True
    return False  # the word stays a name candidate; the parser decides


def _ko_namespace(target: str) -> _Handler:
    def handle(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
        e.namespace, e.namespace_certain = vocab.resolve(target), True
        if m.groupdict().get("also"):
            e.also = True
        return True

    return handle


def _revision(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    raw = m["n"]
    value = ORDINALS.get(raw) if raw in ORDINALS else to_int(raw)
    if value is None:
        return False
    e.revision = value
    e.hint("rollback", 1.5)
    return True


def _steps(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    raw = m.groupdict().get("n")
    value = 2 if raw is None else to_int(raw)
    if m.groupdict().get("triple"):
        value = 3
    if value is None:
        return False
    e.steps_back = value
    e.hint("rollback", 2)
    return True


def _replicas(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = to_int(m["n"])
    if value is None:
        return False
    e.replicas = value
    e.replicas_absolute = bool(_ABSOLUTE.search(m.group(0)))
    # "레플리카 20으로": the count said with the replica word (a scale cue itself) weighs more than a
    # symptom said around it ("트래픽 터졌어")
    e.hint("scale", 3.5 if _REPLICA_WORD.search(m.group(0)) else 2.5)
    return True


def _name_replicas(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """"web=3": an app and its replica count."""
    if m["name"] in _NOT_NAMESPACES or e.name:
        return False
    e.name, e.replicas, e.replicas_absolute = m["name"], int(m["n"]), True
    e.hint("scale", 2.5)
    return True


def _relative(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """"2 more", and counts too vague to set ("한두 개", "2~3 replicas", "-2개로"): the parser asks
    for an exact count."""
    e.relative = True
    e.hint("scale", 2.5)
    return True


def _count_question(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.count_question = True
    e.hint("status", 2.5)
    return True


_TIME_UNITS = {"시간": "h", "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "분": "m", "m": "m",
               "min": "m", "mins": "m", "minute": "m", "minutes": "m", "일": "d", "d": "d", "day": "d",
               "days": "d"}


def _since(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = to_int(m["n"])
    if value is None or value <= 0:
        return False
    e.since = f"{value}{_TIME_UNITS[m['u']]}"
    e.hint("metrics", 1)
    return True


_METRIC_WORDS = {"cpu": "cpu", "씨피유": "cpu", "memory": "memory", "mem": "memory", "ram": "memory",
                 "메모리": "memory", "requests": "requests", "request": "requests", "rps": "requests",
                 "qps": "requests", "traffic": "requests", "트래픽": "requests"}


def _metric(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    word = m["k"]
    e.metric = "requests" if word.startswith("요청") else _METRIC_WORDS[word]
    e.hint("metrics", 2.5)
    return False  # the word stays for the lexicon ("cpu usage", "메모리 사용량"); it is never a name


def _restart_count(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.metric = "restarts"
    e.hint("metrics", 3)
    return True  # consumed: "restart count" is not a restart request


def _history_phrase(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.hint("history", 4.5)
    return True


def _who_did(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.asks_who = True
    e.hint("history", 4.5)
    return True


def _audit_phrase(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.hint("audit", 5)
    return True


def _whoami_phrase(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.hint("whoami", 5)
    return True


def _entries(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = to_int(m["n"])
    if value is None:
        return False
    e.entries = value
    if m["what"] in _ACTION_WORDS:
        e.hint("history", 4)
    return True


def _restart_times(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.metric, e.asks_count = "restarts", True
    e.hint("metrics", 3)
    return True


def _amount_of_metric(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """"메모리 얼마나 먹어", "how much memory": the amount of a metric, not a cost."""
    word = re.sub(r"\s", "", m["k"] or m["k2"])
    e.metric = "requests" if word.startswith("요청") else _METRIC_WORDS[word]
    e.hint("metrics", 3)
    return True


def _day(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.since = "1d" if (m["u"] or m["u2"]) in {"하루", "day"} else "1h"
    e.hint("metrics", 1)
    return True


def _service_status(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.kind = e.kind or "service"  # "api 서비스 상태": the Service object of a typed name
    return False  # the words stay for the name finder and the lexicon


def _service_detail(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.hint("describe", 2.5)
    return True


def _said(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """Words that mean nothing for the plan and must not be read as anything else."""
    return True


def _delegate(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.delegate = True
    return True


def _there(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.there = True
    return True


def _vague_target(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.vague_target = True
    e.hint("rollback", 1)
    return True


def _ref_after_repo(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    """"deploy acme/web main", "acme/auth at v1.2.0": a ref-looking word right by the repo."""
    if e.repo is None or e.ref is not None:
        return False
    e.ref = m["ref"]
    return True


def _previous(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.previous = True
    e.hint("logs", 1)
    return True


_NOT_CONTAINERS = frozenset({"previous", "the", "a", "crashed", "last", "old", "of", "for", "in", "on", "to",
                             "from", "is"})


def _container(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    if m["c"] in _NOT_CONTAINERS:
        return False
    if m.groupdict().get("to") and e.image is None:  # "envoy 컨테이너에 <image>": where an image goes
        return False
    e.container = m["c"]
    return True


def _all_pods(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.all_pods = True
    return False  # "all pods" also says "pods": leave it for the resource and list cues


def _also(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    e.also = True
    return True


def _bare_number(m: re.Match[str], e: Entities, vocab: NamespaceVocab) -> bool:
    value = to_int(m["n"])
    if value is None:
        return False
    e.bare_numbers.append(value)
    return True


# Words that follow "in"/"on"/에서 but are never namespaces.
_NOT_NAMESPACES = frozenset(
    {"the", "a", "an", "my", "our", "this", "that", "it", "all", "every", "each", "order", "total", "detail",
     "details", "prod", "json", "yaml", "text", "slack", "k8s", "kubernetes", "cluster", "there", "here",
     "production", "case", "container", "pod", "pods", "minutes", "seconds", "hours", "now", "time", "chat",
     "thread", "browser", "general", "english", "korean", "short", "brief", "place", "future", "advance",
     "charge", "revision", "version", "commit", "image", "namespace", "namespaces", "ns", "last", "previous",
     "one", "two", "three", "replicas", "lines", "logs", "log", "what", "which", "how", "why", "me", "us",
     "you", "them", "back", "to", "up", "down", "and", "or", "more", "less", "use", "deploy", "branch", "get",
     "list", "show", "describe", "kubectl", "per", "by", "cost", "costs", "status"}
    | STOPWORDS
) - {"prod", "production"}

_REPLICA_WORD = re.compile(r"replica|레플리카|리플리카|인스턴스|instance")
_ABSOLUTE = re.compile(r"로|으로|=|:|to |replicas?|레플리카|리플리카|인스턴스|instances")
_REPLICA_UNITS = r"(?:replicas?|instances?|pods?|copies|레플리카|리플리카|인스턴스|파드|포드|개|대|x)"
_NS = rf"(?P<ns>{NAME})"
_ALSO = r"(?P<also>도|에서도|too|as well|also)?"


# Pieces shared by the patterns below.
_TAG = r"[a-z0-9._\-]"  # characters of an image tag or git ref
_REF = r"[a-z0-9][a-z0-9._\-/]*"
_DIGEST = r"@sha256:[a-f0-9]{16,64}"
_OWNER_REPO = r"[a-z0-9][a-z0-9\-]{0,38}/[a-z0-9][a-z0-9._\-]*"
_AT_REF = r"(?:@(?P<ref>[a-z0-9._\-/]+))?"
_KO_AT = r"(?:\s?(?:에서|에|의|쪽))?"  # a Korean location/possessive particle
_NS_WORD_KO = r"(?:네임\s?스페이스|네임스패이스)"
_STEP_UNITS = r"(?:versions?|revisions?|releases?|deploys?|deployments?|steps?|builds?)"
_REVISION_WORDS = r"(?:revision|rev|리비전|리비젼|레비전|버전|version)"
_PREVIOUS = (
    r"--previous|-p|previous (?:container|instance|pod|logs?|run|crash)"
    r"|이전\s?(?:컨테이너|인스턴스|로그|파드|실행)|죽기\s?전|죽기\s?직전|크래시\s?전|크래시\s?나기\s?전"
    r"|재시작\s?전|재시작\s?되기\s?전|before (?:it |the )?(?:crash(?:ed)?|died|restart(?:ed)?|dying)"
    r"|crashed (?:container|instance)|last (?:crash|run)"
)
_ALL_NS = (
    r"-a|--all-namespaces|-all-namespaces|all namespaces|all the namespaces|every namespace"
    r"|across (?:all )?namespaces|in all namespaces|cluster-?wide|all ns|모든\s?ns|전체\s?ns"
    r"|(?:모든|전체|전)\s?네임\s?스페이스|네임\s?스페이스\s?(?:전체|전부)"
)
_ALL_PODS = r"--all-pods|all (?:the )?pods|every pod|(?:모든|전체)\s?파드|파드\s?(?:전부|전체)"
_EN_BARE_NUMBERS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred|zero"
    r"|다섯|여섯|일곱|여덟|아홉"
)


# Branch/tag names that are refs whatever the text around them (used right after a repo).
_REF_LIKE = (
    r"main|master|develop|trunk|(?:release|hotfix|feature|feat|fix|bugfix)[-/][a-z0-9._\-/]+"
    r"|v?\d{1,4}(?:\.\d{1,6}){1,3}(?:-[a-z0-9.]+)?|v\d{1,4}"
)
# The bot's own action log (`history`), the audit log (`audit`) and the caller's identity (`whoami`).
# Consumed, so their words ("로그", "restarted", "감사" = thanks) never count for another command.
# 배포/롤아웃/리비전 이력 stays rollout_history (the deployment's revisions).
_HISTORY = (
    r"(?:작업|명령어?|조작|실행|활동|액션|재시작|스케일|스케일링)\s?(?:기록|이력|내역|히스토리)"
    r"|누가\s?뭐\s?했|누가\s?(?:뭘|무엇을)\s?했"
    r"|(?:command|action|activity|operation|ops|restart|scale|scaling|bot)\s(?:history|log)"
    r"|(?:action|activity) logs?|what (?:did|has) (?:anyone|someone|somebody|the bot|people) (?:do|done)"
)
# "who restarted api?", "who has deployed api", "누가 api 재시작했어?": only the question word is
# consumed; the parser drops the action's signal.
_WHO_DID = (
    r"(?<= )who(?= (?:\S+ )?(?:restarted|deployed|scaled|rolled|redeployed|bounced|reverted|touched"
    r"|changed|updated|shipped|modified|rebooted|released) )"
    # "did someone restart api?", "has anyone deployed web": about the past, like "who"
    r"|(?<= )(?:did|has|have|had)(?= (?:someone|somebody|anyone|anybody|you|they|the bot) (?:\S+ )?"
    r"(?:restart|restarted|deploy|deployed|scale|scaled|roll|rolled|redeploy|redeployed|bounce|bounced"
    r"|revert|reverted|reboot|rebooted|release|released|ship|shipped|touch|touched|change|changed) )"
    r"|(?<= )누가(?=.*(?:재시작|재배포|배포|스케일|롤백|되돌|건드|손\s?댔|바꿨|바꾼|변경|늘렸|줄였|껐))"
    # "건드린 사람", "재시작한 사람": the one who did it
    r"|(?<= )(?:건드린|손\s?댄|바꾼|변경한|수정한|재시작한|재배포한|배포한|롤백한|스케일한|늘린|줄인|끈)"
    r"\s?(?:사람|분|사용자|유저|놈|애)(?:이|은|는|을|를|들)?(?= )"
)
_AUDIT = (
    r"감사\s?(?:로그|기록|내역|이력|추적)|(?:거부|거절)\s?된\s?(?:요청|명령)"
    r"|audit(?:\s(?:logs?|trail|entries|records|history))?|(?:refused|denied|rejected) (?:requests|commands)"
)
_WHOAMI = (
    r"whoami|who am i|(?:which|what) (?:user|account|identity|role) am i(?: acting as| using| logged in as)?"
    r"|(?:my|mine) (?:permissions|perms|roles?|scopes?|access rights|identity|privileges|rights)"
    r"|am i (?:an? )?(?:admin|operator|viewer)"
    r"|(?<= )(?:나|내가|저|제가)\s?(?:는\s?)?누구|(?<= )(?:내|제|나의|저의)\s?(?:권한|역할|롤|계정|신원)"
    r"|(?<= )나\s?(?:무슨|어떤)\s?(?:권한|역할)"
    # "이 채널 어떤 네임스페이스에 바인딩 돼있어?": the channel's binding, which whoami shows
    r"|(?:이\s?|this |the |our )?(?:채널|channel)(?:이|은|는|에|의)?"
    r"(?=.* (?:바인딩|바인드|연결된|연결돼|묶여|묶인|매핑|bound|binding|linked|mapped|tied))"
)
# "기록 50개": a count of entries right after the log word
_ENTRIES_AFTER = r"(?:(?<=기록 )|(?<=이력 )|(?<=내역 )|(?<=히스토리 ))"
_ACTION_WORDS = frozenset({"actions", "commands", "operations", "changes", "작업", "명령"})
_ENTRY_WORDS = r"건|entries|records|events|attempts|items|actions|commands|operations|changes|작업|명령"
_DURATION_LEAD = r"최근|지난|last|past|over the last|in the last|for the last|over the past|in the past"
_RESTART_COUNT = (
    r"restart counts?|restarts? count|number of restarts|재시작\s?(?:횟수|수|카운트)"
    # "restarts chart", "재시작 추이 그래프": restarts over time (the chart word stays a metrics cue)
    r"|restarts?(?= (?:chart|graph|trend|trends|over time|metrics?) )"
    r"|재시작(?=\s?(?:추이|추세|그래프|차트|통계|지표))"
)
# "how many times has api restarted", "api 몇 번 재시작했어", "재시작 몇 번": a restart count.
_RESTART_TIMES = (
    r"how many times (?=(?:(?:has|have|did|does|do) )?(?:the )?\S+ "
    r"(?:restarted|restart|crashed|crash|bounced|been restarted))"
    r"|(?<= )몇\s?번(?=\s?(?:이나\s?)?(?:재시작|재부팅|죽었|크래시))"
    r"|(?<= )재시작\s?(?:을|이|은)?\s?몇\s?번"
)
_METRIC_KINDS = r"cpu|씨피유|memory|mem|ram|메모리|requests?|rps|qps|traffic|트래픽|요청\s?수|요청량"
_DURATION_UNITS = r"시간|분|일|hours?|hrs?|h|minutes?|mins?|m|days?|d"
_AGO_UNITS = r"시간|분|일|주|주일|달|개월|hours?|hrs?|h|minutes?|mins?|m|days?|d|weeks?|w|months?"
# Moments in the past said without a number ("어제", "yesterday", "this morning", "지난주").
_PAST_MOMENTS = (
    r"어제|어젯|엊그제|그제|그저께|그끄저께|지난\s?주|저번\s?주|지난\s?달|저번\s?달|오늘\s?아침"
    r"|아침에|어제\s?밤|어젯밤|새벽에|yesterday|last (?:night|week|month|friday|monday|tuesday|wednesday"
    r"|thursday|saturday|sunday)|this morning|earlier today|the day before"
)


def _rules() -> list[_Rule]:
    number = rf"(?P<n>{NUMBER})"
    ordinal_words = "|".join(k for k in ORDINALS if k.isascii())
    kinds = r"deployments?|deploy(?:\.apps)?|pods?|po|services?|svc"
    return [
        # kind/name as kubectl writes it
        _rule(rf"{_B}(?P<kind>{kinds})/(?P<name>{NAME}){_E}", _kind_name),
        # images: explicit flags first, then anything with a tag, digest or registry host
        _rule(rf"{_B}(?:--image[= ]|image[= ]|이미지\s?(?:는|은)?\s?)"
              rf"(?P<image>[a-z0-9][a-z0-9._\-/]*(?::{_TAG}+)?(?:{_DIGEST})?){_E}", _image),
        _rule(rf"{_B}(?P<image>(?:[a-z0-9.\-]+(?::\d+)?/)*[a-z0-9]{_TAG}*"
              rf"(?::[a-z0-9]{_TAG}{{0,127}}|{_DIGEST})){_E}", _image),
        _rule(rf"{_B}(?P<image>[a-z0-9\-]+\.[a-z0-9.\-]+(?::\d+)?/{_TAG}+/[a-z0-9._\-/]+){_E}", _image),
        # kubectl set image deployment/api api=ghcr.io/acme/api:v2 (the container's name, then the image)
        _rule(rf"{_B}{NAME}=(?P<image>(?:[a-z0-9.\-]+(?::\d+)?/)*[a-z0-9]{_TAG}*"
              rf"(?::[a-z0-9]{_TAG}{{0,127}}|{_DIGEST})){_E}", _image),
        # repos: URL, flag, bare owner/repo (optionally @ref)
        _rule(rf"{_B}(?:https?://)?github\.com/(?P<repo>[a-z0-9\-]+/{_TAG}+?)(?:\.git)?/?{_E}", _repo),
        _rule(rf"{_B}(?:--repo[= ]|repo[= ]|레포\s?|리포\s?)(?P<repo>{_OWNER_REPO}){_AT_REF}{_E}", _repo),
        _rule(rf"{_B}(?P<repo>{_OWNER_REPO}){_AT_REF}{_E}", _repo),
        # refs ("feature/hls 브랜치 api로": a branch-like word before 브랜치 is the ref, not the word after)
        _rule(rf"{_B}(?P<ref>{_REF_LIKE}) (?:branch|브랜치|tag|태그)(?:\s?(?:로|으로|에서|를|을))?{_E}",
              _ref),
        _rule(rf"{_B}(?:--ref[= ]|ref[= ]|branch |tag |브랜치\s?|태그\s?)(?P<ref>{_REF}){_E}", _ref),
        _rule(rf"{_B}(?P<ref>{_REF}) (?:branch|브랜치|tag|태그)(?:\s?(?:로|으로|에서|를|을))?{_E}", _ref),
        _rule(rf"{_B}(?:(?:at|의|@)\s?)?(?P<ref>{_REF_LIKE}){_E}", _ref_after_repo),
        # commits
        _rule(rf"{_B}(?P<kw>--commit[= ]|commit |커밋\s?|sha |hash )(?P<commit>[0-9a-f]{{7,40}}){_E}",
              _commit),
        _rule(rf"{_B}(?P<commit>[0-9a-f]{{7,40}}){_E}", _commit),
        # a decimal count ("2.0개로", "1.5 replicas", "replicas 2.5"), before versions take it
        _rule(rf"{_B}(?P<n>\d{{1,6}}\.\d{{1,3}})\s?{_REPLICA_UNITS}(?:만|씩|까지|로|으로|가|이)?{_E}"
              rf"|{_B}(?:--replicas|replicas|replica|레플리카|리플리카|인스턴스|instances)\s?(?:=|:|to|를|을|수를|수)?"
              rf"\s?(?P<n2>\d{{1,6}}\.\d{{1,3}})(?:\s?(?:로|으로))?{_E}", _decimal_count),
        # a dotted version said alone ("ship api v5.0.0-rc1"); "v3" alone stays a revision
        _rule(rf"{_B}(?P<v>v?\d{{1,4}}(?:\.\d{{1,6}}){{1,3}}(?:-[a-z0-9.]+)?){_E}", _version),
        # ports ("포트 8080", "on port 6379", "--port=80", "8080 포트로"), before counts take the number
        _rule(rf"{_B}(?:on\s)?(?:--port|port|포트)(?:=|:|\s)?\s?(?:번호\s?)?(?:는|은)?\s?(?P<n>\d{{1,5}})"
              rf"(?:\s?번)?(?:\s?(?:으로|로|에서|에))?{_E}"
              rf"|{_B}(?P<n2>\d{{1,5}})\s?(?:번\s?)?(?:포트|port)(?:\s?(?:으로|로|에서|에))?{_E}", _port),
        # moments to come ("내일", "10 minutes from now", "in 2 hours", "3일 후") and years ("2099년")
        _rule(rf"{_B}(?:(?:{NUMBER_OR_SINO}|an?)\s?(?:{_AGO_UNITS})\s?(?:후|뒤|from now|later|hence)"
              rf"|in (?:{NUMBER}|an?) (?:{_AGO_UNITS})|내일|모레|다음\s?(?:주|달)|tomorrow"
              rf"|next (?:week|month))"
              rf"(?:에|의|꺼|거|것|쯤|께)?(?= |버전|배포|리비전|이미지)", _future_moment),
        _rule(rf"{_B}(?:19|20)\d\d\s?년(?:도)?(?:에|의|꺼|거|것|쯤|께)?(?= |버전|배포|리비전|이미지)", _year),
        # moments in the past ("3일 전", "2 hours ago", "yesterday"), before durations take "3일"
        _rule(rf"{_B}(?:(?:{NUMBER_OR_SINO}|[일이삼사오육칠팔구]|an?|몇)\s?(?:{_AGO_UNITS})"
              rf"|하루|이틀|사흘|나흘|닷새)\s?(?:전|前|ago|before|earlier)"
              rf"(?:에|의|쯤|께|부터|으로|로|꺼|거|것)?(?= |버전|배포|리비전|이미지)", _point_in_time),
        _rule(rf"{_B}(?:{_PAST_MOMENTS})(?:에|의|꺼|거|것|자|쯤|께|부터)?(?= |버전|배포|리비전|이미지)",
              _point_in_time),
        _rule(rf"{_B}\d{{1,2}}\s?월\s?\d{{1,2}}\s?일(?:에|의|자|꺼|거|쯤)?{_E}"
              rf"|{_B}(?:on |from )?\d{{4}}-\d{{2}}-\d{{2}}{_E}", _point_in_time),
        # durations ("최근 6시간", "over the last 30m"), before line counts take "최근 6"
        _rule(rf"{_B}(?:(?:{_DURATION_LEAD})\s)?(?P<n>{NUMBER_OR_SINO})\s?(?P<u>{_DURATION_UNITS})"
              rf"(?:\s?(?:동안|간|치))?(?:\s?(?:으로|로|만|까지|치로))?{_E}", _since),
        # "지난 하루", "the past day", "last hour", "하루 동안": one day or hour
        _rule(rf"{_B}(?:(?:{_DURATION_LEAD}|the past|the last)\s(?:한\s|an?\s|one\s)?"
              rf"(?P<u>하루|day|hour|시간)|(?P<u2>하루)\s?(?:동안|간|치))(?:\s?(?:동안|간|치))?"
              rf"(?:\s?(?:으로|로|만|까지))?{_E}", _day),
        # metrics: what to measure
        _rule(rf"(?<= )(?:{_RESTART_COUNT})(?= |추이|추세|그래프|차트|통계|지표)", _restart_count),
        _rule(_RESTART_TIMES, _restart_times),
        _rule(rf"(?<= )(?P<k>{_METRIC_KINDS})\s?(?:사용량|량)?\s?(?:이|가|을|를|은|는)?\s?얼마(?:나)?(?= )"
              rf"|{_B}how (?:much|many)\s(?P<k2>{_METRIC_KINDS}){_E}", _amount_of_metric),
        _rule(rf"(?<= )(?P<k>{_METRIC_KINDS})(?=\s|사용|량|(?:은|는|도|만|이|가|을|를|좀)\s)", _metric),
        # history, audit, whoami phrases; how many entries ("최근 50건", "last 5 actions")
        _rule(rf"{_ENTRIES_AFTER}(?P<n>{NUMBER})\s?(?P<what>개|건)(?:만|씩|까지|정도)?{_E}", _entries),
        _rule(rf"(?<= )(?:{_WHOAMI})(?= |야|예|요|이|가|로|은|는|를|좀|확인)", _whoami_phrase),
        _rule(rf"(?<= )(?:{_AUDIT})(?= |를|을|좀|보여)", _audit_phrase),
        _rule(rf"(?<= )(?:{_HISTORY})(?= |를|을|좀|보여)", _history_phrase),
        _rule(_WHO_DID, _who_did),
        _rule(rf"{_B}(?:(?:last|recent|최근|마지막)\s)?(?P<n>{NUMBER})\s?(?P<what>{_ENTRY_WORDS}){_E}",
              _entries),
        # more lines than last time ("50줄 더", "50 more lines", "another 100 lines")
        _rule(rf"{_B}(?:another\s)?(?P<n>{NUMBER_OR_SINO})\s?(?:more|extra)\s(?:lines?|rows?){_E}",
              _more_lines),
        _rule(rf"{_B}another\s(?P<n>{NUMBER_OR_SINO})\s(?:lines?|rows?){_E}", _more_lines),
        _rule(rf"(?P<n>{NUMBER_OR_SINO})\s?(?:줄|라인|lines?|행)\s?(?:만|정도|씩)?\s?(?:더|추가로|추가)(?= )",
              _more_lines),
        _rule(rf"{_B}(?:더|추가로)\s(?P<n>{NUMBER_OR_SINO})\s?(?:줄|라인|lines?|행){_E}", _more_lines),
        # line counts (before namespaces: "-n 100" in a logs request is a count, not a namespace)
        _rule(rf"(?P<n>{NUMBER_OR_SINO})\s?(?:줄|라인|lines?|rows?|행)(?:만|정도|씩|까지)?(?:로|으로)?{_E}",
              _lines),
        _rule(rf"{_B}(?:--tail|tail|-n|--lines|lines|last|최근|마지막)(?:=|\s)(?P<n>{DIGITS})(?:\s?개)?{_E}",
              _lines),
        _rule(rf"{_B}(?:--tail|--lines)=?(?P<n>{DIGITS}){_E}", _lines),
        # all namespaces
        _rule(rf"{_B}(?:{_ALL_NS})(?= |에서|의|에)", _all_namespaces),
        # namespaces: flags and explicit words
        _rule(rf"{_B}(?:-n|--namespace|--ns|-ns)(?:=|\s)?{_NS}{_E}", _ns_certain),
        _rule(rf"{_B}{_NS}\s(?:{_NS_WORD_KO}|환경){_KO_AT}{_ALSO}{_E}", _ns_certain),
        _rule(rf"{_B}(?:ns|namespace)(?:=|:|\s)\s?{_NS}{_E}", _ns_certain),
        _rule(rf"{_B}(?:the )?{_NS}\s(?:namespace|ns|env|environment){_KO_AT}{_ALSO}{_E}", _ns_certain),
        _rule(rf"{_B}{_NS_WORD_KO}\s?(?:=|:)?\s?{_NS}\s?(?:에서|에|의)?{_ALSO}{_E}", _ns_certain),
        *[_rule(rf"(?:{pattern})(?:\s?(?:환경|서버|쪽|계|{_NS_WORD_KO}))?\s?(?:에서는|에서|에|의|쪽)?\s?{_ALSO}",
                _ko_namespace(target)) for pattern, target in _KO_NAMESPACES],
        _rule(rf"{_B}(?:in|on|into|inside|within)\s(?:the\s)?{_NS}(?:\s(?:cluster|too|also|as well))?{_E}",
              _ns_soft),
        _rule(rf"{_B}(?:to|from|at|for|of)\s(?:the\s)?{_NS}{_E}", _ns_known),
        _rule(rf"{_B}{_NS}\s?(?P<also>에서도|도)(?= )", _ns_known),
        _rule(rf"{_B}{_NS}\s?(?:에서는|에서|에|쪽에서|쪽)(?= )", _ns_soft),
        _rule(rf"{_B}{_NS}\s?(?:의|에 있는|에있는|에서 돌아가는|에 떠있는)(?= )", _ns_known),
        # revisions ("revision 3", "3번 리비전", "--to-revision 3", "세 번째 리비전", "third revision")
        _rule(rf"{_B}(?:--to-revision|--revision|--to|to-revision)(?:=|\s)(?P<n>{DIGITS}){_E}", _revision),
        _rule(rf"{_B}(?:to\s)?{_REVISION_WORDS}\s?(?:#|no\.?\s?|number\s)?(?P<n>{DIGITS})"
              rf"(?:\s?(?:번|번째))?(?:\s?(?:으로|로))?{_E}", _revision),
        _rule(rf"{_B}#(?P<n>{DIGITS}){_E}", _revision),
        _rule(rf"{_B}(?:back\s)?to\sv(?P<n>{DIGITS}){_E}", _revision),
        _rule(rf"{_B}v(?P<n>{DIGITS})\s?(?:으로|로)(?= )", _revision),
        _rule(rf"(?P<n>{NUMBER})\s?(?:번째|번)\s?(?:리비전|리비젼|레비전|버전|revision)", _revision),
        _rule(rf"{_B}(?P<n>{ordinal_words})\s(?:revision|version)", _revision),
        _rule(rf"{_B}(?P<n>{DIGITS})(?:st|nd|rd|th)\s(?:revision|version)", _revision),
        # steps back
        _rule(rf"{_B}(?:back\s)?{number}\s{_STEP_UNITS}(?:\s(?:back|ago|before|earlier|prior|previous))?{_E}",
              _steps),
        _rule(rf"{_B}back\s{number}(?:\s(?:versions?|revisions?|releases?|steps?))?{_E}", _steps),
        _rule(rf"(?P<n>{NUMBER})\s?(?:단계|버전|리비전|스텝|개|번|릴리즈)\s?(?:전|이전|앞|뒤로)", _steps),
        _rule(r"(?P<triple>전전전)|전전(?:\s?(?:버전|리비전))?", _steps),
        _rule(rf"{_B}(?P<n>{NUMBER})\s?(?:단계|스텝)(?:\s?(?:만큼|을|를|로|으로))?(?=\s?(?:롤백|되돌|돌려|뒤로|back))",
              _steps),
        # vague or negative counts ("한두 개", "2~3 replicas", "-2개로"): never a count to set
        _rule(rf"(?:{_B}|(?<=레플리카 )|(?<=replicas ))(?:한두|두세|서너|두어|너덧|너댓|네다섯|대여섯"
              rf"|{DIGITS}(?:\s?(?:or|또는|아니면)\s?|\s){DIGITS}|{DIGITS}-{DIGITS})\s?{_REPLICA_UNITS}"
              rf"(?:만|씩|까지|로|으로|가|이)?{_E}", _relative),
        _rule(rf"{_B}[-−+]\s?{DIGITS}(?:\s?{_REPLICA_UNITS})?(?:\s?(?:로|으로))?{_E}", _relative),
        # "scale api by 2": a change, not a target; "to 1 000": a grouping too loose to read as one
        _rule(rf"{_B}by\s(?P<n>{NUMBER})(?:\s?{_REPLICA_UNITS})?{_E}"
              rf"|{_B}(?:to\s)?\d{{1,3}}(?:\s\d{{3}})+(?:\s?{_REPLICA_UNITS})?(?:\s?(?:로|으로))?{_E}",
              _relative),
        # relative changes and count questions, before replica counts take their numbers
        _rule(rf"{_B}(?P<n>{NUMBER})\s?(?:{_REPLICA_UNITS})?\s?(?:더|more|extra)(?=\s|늘|추가)", _relative),
        _rule(rf"{_B}(?:add|plus)\s(?P<n>{NUMBER})(?:\s(?:more|extra))?\s{_REPLICA_UNITS}{_E}", _relative),
        _rule(rf"{_B}(?:another|an extra|one extra)\s{_REPLICA_UNITS}{_E}", _relative),
        _rule(r"(?<= )(?:how many|몇\s?(?:개|대))(?= |야|예|요|나|가|인|지|떠|돌|있)", _count_question),
        # replicas
        # ("인스턴스 하나만 남겨": only that many; "하나만 더" is a change, left for the question)
        _rule(rf"{_B}(?:--replicas|replicas|replica|레플리카|리플리카|인스턴스|instances)"
              rf"\s?(?:=|:|to|를|을|수를|수)?\s?(?P<n>{NUMBER})(?:\s?(?:개|대))?(?:\s?(?:로|으로|만))?{_E}"
              r"(?! 더)", _replicas),
        _rule(rf"(?P<n>{NUMBER})\s?{_REPLICA_UNITS}(?:만|씩|까지|로|으로|가|이)?{_E}", _replicas),
        _rule(rf"{_B}(?P<n>{DIGITS}|{NUMBER})\s?(?:으로|로){_E}", _replicas),
        _rule(rf"{_B}to\s(?P<n>{NUMBER}){_E}", _replicas),
        _rule(rf"{_B}(?P<name>{NAME})=(?P<n>{DIGITS}){_E}", _name_replicas),
        # logs: previous container, container, all pods
        _rule(rf"{_B}(?:{_PREVIOUS})(?:꺼|거|것)?(?= |의|에서|(?:은|는|도)\s)", _previous),
        _rule(rf"{_B}(?:-c|--container)(?:=|\s)(?P<c>{NAME}){_E}", _container),
        _rule(rf"{_B}(?:container|컨테이너)(?:=|:|\s)\s?(?P<c>{NAME}){_E}", _container),
        _rule(rf"{_B}(?P<c>{NAME})\s(?:container|컨테이너|sidecar container)"
              rf"(?:\s?(?:의|에서|(?P<to>에)))?{_E}", _container),
        _rule(rf"{_B}(?:{_ALL_PODS})(?= |의|에서)", _all_pods),
        _rule(rf"(?<= ){NAME}\s서비스\s?(?:의\s?)?상태", _service_status),
        _rule(r"(?<= )알아서(?= )|(?<= )(?:do )?whatever you (?:think|want|need)(?= )", _delegate),
        # "which revision is live", "went live": a state, not the production namespace
        _rule(r"(?<= )(?:is|are|was|were|currently|go|goes|went|going|gone|be|been|whats) live(?= )", _said),
        # a Service's type and ports ("ClusterIP", "api 서비스 포트"): details of the Service object
        _rule(r"(?<= )(?:clusterip|loadbalancer|nodeport|externalname|headless)(?= )"
              r"|(?:(?<=서비스)|(?<=서비스 )|(?<=서비스의 )|(?<= service )|(?<= services ))"
              r"(?:포트|타입|유형|port|ports|type)(?= |는|은|가|이|를|을|뭐|몇)", _service_detail),
        # "the ingresses there?", "거기 파드": the namespace of the previous request
        _rule(r"(?<= )(?:in there|over there|there|거기|거기서|거기에|거기도|그쪽"
              r"|그\s?네임\s?스페이스)(?=\s?$)|(?<= )(?:거기|그쪽)(?:서|에서|에|의)?(?= )", _there),
        # "to the good version", "잘 되던 버전으로": a version no one could name; asked about
        _rule(r"(?<= )(?:(?:to )?the (?:good|working|stable|right|correct|fine)"
              r" (?:version|one|build|release|revision)"
              r"|(?:잘\s?되던|잘\s?돌던|정상이던|괜찮던|멀쩡하던|정상적인|안정적인)\s?(?:버전|때|거|걸|리비전)"
              r"(?:으로|로)?)(?= )", _vague_target),
        # "도" after a consumed namespace, "in prod too"
        _rule(r"(?<= )(?:도|too|as well)(?= )", _also),
        # "503", "500 에러", "502s": an HTTP status, a symptom (the number stays for a count)
        _rule(rf"{_B}[45]\d\ds?(?= |에러|error|errors|떠|뜨|나|남|났)", _http_code),
        # what is left: numbers with no unit
        _rule(rf"{_B}(?P<n>{DIGITS}){_E}", _bare_number),
        _rule(rf"{_B}(?P<n>{_EN_BARE_NUMBERS}){_E}", _bare_number),
    ]


_RULES = _rules()


def extract(text: str, vocab: NamespaceVocab) -> Entities:
    """All entities of a normalized text; `residual` is the text with consumed spans blanked."""
    e = Entities()
    for rule in _RULES:
        text = _apply(rule, text, e, vocab)
    e.residual = text
    return e


def _apply(rule: _Rule, text: str, e: Entities, vocab: NamespaceVocab) -> str:
    out: list[str] = []
    last = 0
    for m in rule.pattern.finditer(text):
        if rule.handle(m, e, vocab):
            out.append(text[last : m.start()])
            out.append(" " * (m.end() - m.start()))
            last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)
