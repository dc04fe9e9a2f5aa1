"""KlepaasErrors as Results: the message a person acts on, never a stack trace."""

from __future__ import annotations

from typing import Any

from klepaas.commands.grammar import UsageError
from klepaas.commands.result import Context, Result, Text
from klepaas.errors import KlepaasError
from klepaas.llm.plan import Lang


def localized(lang: Lang, en: str, ko: str) -> str:
    return ko if lang == "ko" else en


def error_result(command: str, error: KlepaasError, lang: Lang = "en") -> Result:
    """A KlepaasError as a Result: its message as the summary, its hint and suggestions as context."""
    blocks: list[Any] = []
    if isinstance(error, UsageError):
        blocks.append(Text(text=f"Usage: `{error.usage}`"))
    elif error.hint:
        blocks.append(Context(text=error.hint))
    suggestions = getattr(error, "suggestions", None)
    if suggestions and not error.hint:  # a not-found's hint already says "did you mean ..."
        blocks.append(Context(text=localized(lang, "Did you mean: ", "혹시: ") + ", ".join(suggestions)))
    data: dict[str, Any] = {"error": error.code, "message": error.message}
    if error.hint:
        data["hint"] = error.hint
    if isinstance(error, UsageError):
        data["usage"] = error.usage
    return Result(command=command, status="error", summary=error.message, blocks=blocks, data=data)


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
