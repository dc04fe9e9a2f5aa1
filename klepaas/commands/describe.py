"""One sentence naming what a planned command will do, for confirmation prompts and approvals.

"Restart deployment nginx in namespace staging" — a person should know what they approve without
reading arguments.
"""

from __future__ import annotations

from typing import Any

from klepaas.commands.registry import Args, CommandSpec
from klepaas.llm.plan import Lang


def describe_action(spec: CommandSpec[Any], args: Args, lang: Lang = "en") -> str:
    values = args.model_dump(exclude_none=True)
    name = values.get("name", "")
    namespace = values.get("namespace")
    where_en = f" in namespace {namespace}" if namespace else ""
    where_ko = f"{namespace} 네임스페이스의 " if namespace else ""
    if spec.name == "restart":
        return _pick(lang, f"Restart deployment {name}{where_en}", f"{where_ko}{name} 디플로이먼트를 재시작")
    if spec.name == "scale":
        replicas = values.get("replicas")
        return _pick(
            lang,
            f"Scale deployment {name} to {replicas} replicas{where_en}",
            f"{where_ko}{name} 디플로이먼트를 {replicas}개로 조정",
        )
    if spec.name == "rollback":
        target_en, target_ko = _rollback_target(values)
        return _pick(
            lang,
            f"Roll back deployment {name} to {target_en}{where_en}",
            f"{where_ko}{name} 디플로이먼트를 {target_ko}(으)로 롤백",
        )
    if spec.name == "deploy":
        what = values.get("image") or "@".join(str(v) for v in (values.get("repo"), values.get("ref")) if v)
        return _pick(lang, f"Deploy {what} as {name}{where_en}", f"{where_ko}{name}에 {what} 배포")
    details = ", ".join(f"{key}={value}" for key, value in values.items() if key not in ("name", "namespace"))
    subject = " ".join(part for part in (spec.name.replace("_", " ").capitalize(), str(name)) if part)
    text = subject + (f" ({details})" if details else "") + where_en
    return _pick(lang, text, text)


def _rollback_target(values: dict[str, Any]) -> tuple[str, str]:
    if values.get("revision") is not None:
        return f"revision {values['revision']}", f"리비전 {values['revision']}"
    if values.get("commit"):
        return f"commit {values['commit']}", f"커밋 {values['commit']}"
    steps = values.get("steps_back") or 1
    if steps == 1:
        return "the previous revision", "이전 리비전"
    return f"{steps} revisions back", f"{steps}단계 이전 리비전"


def _pick(lang: Lang, en: str, ko: str) -> str:
    return ko if lang == "ko" else en
