"""The message catalogue: both languages for every key, and every key the commands use exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import klepaas.commands.builtin as builtin_package
from klepaas.commands.i18n import CATALOGUE, placeholders, t

SOURCES = sorted(Path(builtin_package.__file__).parent.glob("*.py"))


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for key, entry in CATALOGUE.items():
        assert set(entry) == {"en", "ko"}, key
        assert entry["en"].strip() and entry["ko"].strip(), key
        assert placeholders(entry["en"]) == placeholders(entry["ko"]), key


def test_every_literal_key_in_the_commands_is_in_the_catalogue() -> None:
    used = set()
    for source in SOURCES:
        used |= set(
            re.findall(r"""\bt\(\s*(?:ctx\.)?lang,\s*"([a-z_]+\.[A-Za-z_.]+)\"""", source.read_text())
        )
    assert used, "the pattern finds the keys"
    assert sorted(used - set(CATALOGUE)) == []


@pytest.mark.parametrize("prefix", ["health.", "risk."])
def test_keys_built_from_values_exist_for_every_value(prefix: str) -> None:
    values = {
        "health.": ["healthy", "progressing", "degraded", "failed", "stopped"],
        "risk.": ["read", "write", "dangerous"],
    }[prefix]
    for value in values:
        assert f"{prefix}{value}" in CATALOGUE


def test_korean_is_chosen_only_for_ko() -> None:
    assert t("ko", "word.cluster") == "클러스터"
    assert t("en", "word.cluster") == "cluster"
