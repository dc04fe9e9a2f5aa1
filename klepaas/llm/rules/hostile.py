"""Text that is an attack rather than a request: shell or SQL fragments, role markers, bidi tricks.

A ChatOps request names an app and says what to do with it; it never carries `$(...)`, `&&`,
`; rm`, `DROP TABLE`, `/etc/passwd`, a "SYSTEM:" role line, or Unicode controls that make the
text read differently from what it says. Such text plans nothing (the parser answers with a
refusal), whatever command words it also holds.

Every pattern here is linear: alternations of literals and bounded character classes, no nested
quantifiers, so a long adversarial message costs one scan.
"""

from __future__ import annotations

import re

# Bidirectional overrides/embeddings/isolates: the text shown is not the text read (U+202A-U+202E,
# U+2066-U+2069). Plain marks (LRM/RLM) and zero-width characters are only noise: normalize drops them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

_SHELL_WORDS = (
    r"rm|curl|wget|cat|sh|bash|zsh|python3?|perl|nc|ncat|chmod|chown|mv|cp|echo|eval|exec|kubectl"
    r"|sudo|env|printenv|base64|dd|mkfs|shutdown|reboot"
)
_SQL_WORDS = r"drop|delete|select|insert|update|truncate|alter|union|exec"

_HOSTILE = re.compile(
    "|".join(
        (
            r"\$\(",  # command substitution
            r"\$\{",  # variable expansion
            r"&&|\|\|",  # command chaining
            rf"\|\s*(?:{_SHELL_WORDS})\b",  # piping into a program
            rf";\s*(?:{_SHELL_WORDS}|{_SQL_WORDS})\b",  # a second statement
            rf"`\s*(?:{_SHELL_WORDS})\s[^`]{{0,200}}`",  # a command in backticks
            r"\brm\s+-[a-z]*[rf]",
            r"/etc/(?:passwd|shadow|hosts|sudoers)|/bin/(?:ba)?sh\b|\.\./",
            r"\b(?:drop|truncate)\s+(?:table|database|schema)\b",
            r"\bunion\s+select\b",
            r"'\s*(?:or|and)\s+'?\w+'?\s*=\s*'?\w+",  # ' OR 1=1
            r"\b(?:or|and)\s+1\s*=\s*1\b",
            r"'\s*;|;\s*--",
            r"(?:^|[\s>\]])(?:system|assistant|developer)\s*:",  # a fake role line
            r"<\|?(?:im_start|im_end|system|endoftext)\|?>",
        )
    ),
    re.IGNORECASE,
)


def is_hostile(text: str) -> bool:
    """Whether `text` carries shell/SQL fragments, a fake role line or bidi override controls."""
    return bool(_BIDI_CONTROLS.search(text) or _HOSTILE.search(text))
