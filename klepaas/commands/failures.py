"""KlepaasErrors as Results: the message a person acts on, in their language, never a stack trace.

Every error a request meets reaches the person through `error_result`, which says it in the
request's language (`klepaas.commands.localise`); the audit keeps the error's own English words.
"""

from __future__ import annotations

from typing import Any

from klepaas.commands.grammar import UsageError
from klepaas.commands.i18n import t
from klepaas.commands.localise import error_words
from klepaas.commands.result import Context, Result, Text
from klepaas.errors import KlepaasError
from klepaas.llm.plan import Lang


def localized(lang: Lang, en: str, ko: str) -> str:
    return ko if lang == "ko" else en


def error_result(command: str, error: KlepaasError, lang: Lang = "en") -> Result:
    """A KlepaasError as a Result, in `lang`: its message as the summary, its hint and suggestions
    as context."""
    words = error_words(error, lang)
    blocks: list[Any] = []
    if isinstance(error, UsageError):
        blocks.append(Text(text=f"{t(lang, 'word.usage')}: `{error.usage}`"))
    elif words.hint:
        blocks.append(Context(text=words.hint))
    suggestions = getattr(error, "suggestions", None)
    if suggestions and not words.hint:  # a not-found's hint already says "did you mean ..."
        blocks.append(Context(text=f"{t(lang, 'word.did_you_mean')}: " + ", ".join(suggestions)))
    data: dict[str, Any] = {"error": error.code, "message": words.message}
    if words.hint:
        data["hint"] = words.hint
    if isinstance(error, UsageError):
        data["usage"] = error.usage
    return Result(command=command, status="error", summary=words.message, blocks=blocks, data=data)


def internal_error_result(command: str, lang: Lang = "en") -> Result:
    return Result(
        command=command,
        status="error",
        summary=localized(
            lang,
            "Something went wrong on our side; the details are in the server log.",
            "내부 오류가 발생했습니다. 자세한 내용은 서버 로그에 있습니다.",
        ),
        data={"error": "internal"},
    )
