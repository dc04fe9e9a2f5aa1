"""What the planner says back, in the user's language: questions and one-line plan descriptions."""

from __future__ import annotations

from typing import Any

from klepaas.llm.plan import Lang

_QUESTIONS: dict[str, dict[Lang, str]] = {
    "help": {
        "ko": "무엇을 도와드릴까요? 앱 상태·로그·재시작·스케일·롤백·배포를 할 수 있어요. 예: `nginx 상태`, "
              "`api 3개로 늘려줘`, `web 로그 100줄`. 전체 목록은 `도움말`.",
        "en": "How can I help? I can show status and logs, restart, scale, roll back and deploy your apps. "
              "e.g. `status nginx`, `scale api 3`, `logs web --tail 100`. Say `help` for everything.",
    },
    "name": {
        "ko": "어떤 앱인가요? 예: `{example}`",
        "en": "Which app? e.g. `{example}`",
    },
    "name_guess": {
        "ko": "어떤 앱인가요? 앱 이름을 알려주세요. 예: `{example}`",
        "en": "Which app? Tell me its name, e.g. `{example}`",
    },
    "replicas": {
        "ko": "몇 개로 조정할까요? 예: `scale {name} 3`",
        "en": "How many replicas? e.g. `scale {name} 3`",
    },
    "relative": {
        "ko": "지금 개수를 모르니 원하는 개수를 정확히 알려주세요. 예: `scale {name} 3`",
        "en": "Tell me the exact number of replicas you want, e.g. `scale {name} 3`.",
    },
    "image": {
        "ko": "어떤 이미지나 저장소를 배포할까요? 예: `deploy {name} --image nginx:1.27` "
              "또는 `deploy {name} --repo owner/repo --ref main`",
        "en": "Which image or repo should I deploy? e.g. `deploy {name} --image nginx:1.27` "
              "or `deploy {name} --repo owner/repo --ref main`",
    },
    "ref": {
        "ko": "{repo}의 어떤 브랜치·태그·커밋을 배포할까요? 예: `deploy {name} --repo {repo} --ref main`",
        "en": "Which branch, tag or commit of {repo}? e.g. `deploy {name} --repo {repo} --ref main`",
    },
    "rollback_time": {
        "ko": "그 시점은 정확히 정할 수 없어요: 몇 시간·며칠 전인지, 또는 시각을 알려주세요. 예: "
              "`{name} 3일 전 버전으로 롤백`, `rollback {name} --at 2026-11-27T10:00+09:00`. "
              "리비전과 배포 시각은 `rollout_history {name}`에서 볼 수 있어요.",
        "en": "I can't pin down that moment: say how long ago, or give a time, e.g. "
              "`roll back {name} to 3 days ago`, `rollback {name} --at 2026-11-27T10:00Z`. "
              "`rollout_history {name}` lists the revisions with their times.",
    },
    "rollback_version": {
        "ko": "{version}이(가) 어느 리비전인지는 정할 수 없어요: 리비전 번호나 커밋을 알려주세요. 예: "
              "`rollback {name} --revision 3`. 리비전과 이미지는 `rollout_history {name}`에서 볼 수 있어요.",
        "en": "I can't tell which revision {version} is: give a revision number or a commit, e.g. "
              "`rollback {name} --revision 3`. `rollout_history {name}` lists the revisions and images.",
    },
    "rollback_target": {
        "ko": "어느 리비전으로 롤백할까요? 리비전 번호(예: `rollback {name} --revision 3`)나 몇 단계 전인지 "
              "알려주세요. 리비전 목록은 `rollout_history {name}`에서 볼 수 있어요.",
        "en": "Which revision? Give a revision number (e.g. `rollback {name} --revision 3`) or how many "
              "steps back. `rollout_history {name}` lists the revisions.",
    },
    "which_app": {
        "ko": "어느 앱인가요? 이름이 비슷한 앱이 여럿 있어요: {names}. 예: `{example}`",
        "en": "Which app do you mean? More than one app could be it: {names}. e.g. `{example}`",
    },
    "one_name": {
        "ko": "한 번에 한 앱만 할 수 있어요. 어느 쪽인가요? {names}",
        "en": "I can do one app at a time. Which one? {names}",
    },
    "did_you_mean": {
        "ko": "혹시 이걸 말씀하신 건가요: {plans}?",
        "en": "Did you mean: {plans}?",
    },
    "which": {
        "ko": "어느 쪽을 원하세요? {plans}",
        "en": "Which do you mean? {plans}",
    },
    "stop": {
        "ko": "멈추는 명령은 따로 없어요. 레플리카를 0개로 줄일까요? 예: `scale {name} 0`",
        "en": "There is no stop command. Scale it to zero instead? e.g. `scale {name} 0`",
    },
    "destroy": {
        "ko": "삭제는 지원하지 않아요. 할 수 있는 일은 `도움말`에서 확인하세요.",
        "en": "I can't delete anything. Say `help` to see what I can do.",
    },
    "refused": {
        "ko": "그 요청은 처리할 수 없어요. 할 수 있는 일은 `도움말`에서 확인하세요.",
        "en": "I can't do that. Say `help` to see what I can do.",
    },
    "namespace_all": {
        "ko": "이 명령은 네임스페이스 하나에서만 실행돼요. 어느 네임스페이스인가요? 예: `-n staging`",
        "en": "This command works in one namespace. Which one? e.g. `-n staging`",
    },
    "invalid": {
        "ko": "요청을 이해했지만 값이 올바르지 않아요: {error}",
        "en": "I understood the request but a value is not valid: {error}",
    },
    "bad_name": {
        "ko": "`{name}`은(는) 쿠버네티스 이름이 될 수 없어요 (소문자, 숫자, `-`만 가능). "
              "앱 이름을 정확히 알려주세요.",
        "en": "`{name}` can't be a Kubernetes name (lower-case letters, digits and `-` only). "
              "Which app exactly?",
    },
    "negated": {
        "ko": "알겠어요, {action}하지 않을게요. 대신 할 일이 있으면 알려주세요. 예: `{name} 상태`",
        "en": "OK, I won't {action} anything. Tell me what you'd like instead, e.g. `status {name}`.",
    },
    "not_ordered": {
        "ko": "질문이나 조건이 붙은 요청은 실행하지 않아요. "
              "지금 실행하려면 이렇게 요청해 주세요: `{example}`",
        "en": "I only run a change asked for plainly and now, not a question or a condition. "
              "To run it now, say `{example}`.",
    },
    "one_app": {
        "ko": "한 번에 한 앱만 {action}할 수 있어요. 어느 앱인가요? 예: `{example}`",
        "en": "I can {action} one app at a time. Which app? e.g. `{example}`",
    },
    "too_long": {
        "ko": "메시지가 너무 길어서 명령 하나로 읽을 수 없어요. 요청만 짧게 보내 주세요. 예: `nginx 재시작`",
        "en": "That message is too long for one command. Send just the request, e.g. `restart nginx`.",
    },
}

_ACTIONS: dict[str, dict[Lang, str]] = {
    "restart": {"ko": "재시작", "en": "restart"},
    "scale": {"ko": "스케일", "en": "scale"},
    "rollback": {"ko": "롤백", "en": "roll back"},
    "deploy": {"ko": "배포", "en": "deploy"},
}


def action(command: str, lang: Lang) -> str:
    """The verb for a write command: "roll back" / "롤백"."""
    return _ACTIONS.get(command, {}).get(lang, command.replace("_", " "))


def question(key: str, lang: Lang, **values: str) -> str:
    return _QUESTIONS[key][lang].format(**values)


_KO_VERBS = {
    "status": "상태 확인", "logs": "로그 보기", "endpoint": "주소 확인", "restart": "재시작",
    "scale": "스케일",
    "rollback": "롤백", "rollout_history": "배포 이력 보기", "deploy": "배포", "overview": "전체 현황",
    "list_pods": "파드 목록", "list_deployments": "디플로이먼트 목록",
    "list_services": "서비스 목록", "list_ingresses": "인그레스 목록",
    "list_endpoints": "엔드포인트 목록", "list_namespaces": "네임스페이스 목록",
    "list_apps": "앱 목록", "get_deployment": "디플로이먼트 정보", "get_service": "서비스 정보",
    "cost_analysis": "비용 분석", "help": "도움말", "history": "작업 기록 보기", "audit": "감사 로그 보기",
    "whoami": "내 권한 확인",
}


def describe(command: str, args: dict[str, Any], lang: Lang) -> str:
    """'restart nginx in staging' / 'staging의 nginx 재시작'."""
    name = args.get("name")
    namespace = args.get("namespace")
    extras = {k: v for k, v in args.items() if k not in {"name", "namespace"}}
    if lang == "ko":
        parts = []
        if namespace:
            parts.append("모든 네임스페이스의" if namespace == "*" else f"{namespace}의")
        if name:
            parts.append(str(name))
        parts.append(_KO_VERBS.get(command, command))
        parts.extend(f"{k}={v}" for k, v in extras.items())
        return " ".join(parts)
    words = [command.replace("_", " ")]
    if name:
        words.append(str(name))
    words.extend(f"{k}={v}" for k, v in extras.items())
    if namespace:
        words.append("in all namespaces" if namespace == "*" else f"in {namespace}")
    return " ".join(words)
