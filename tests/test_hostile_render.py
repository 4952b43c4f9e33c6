"""Every gettext message and every template, filled with hostile values, is valid Telegram HTML."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.telegram_html import problems

LOCALES = Path(__file__).resolve().parent.parent / "locales"
HOSTILE = ("<", "&", "</b>", "<script>x</script>", "x" * 5000, "😀🇨🇳", "\x01\x1b\u202e")
PLACEHOLDER = re.compile(r"%\((\w+)\)([-#0 +]*\d*(?:\.\d+)?)([sdif])")


@cache
def catalogs() -> list[tuple[str, str, str]]:
    """(catalog, msgid, text) for every message id and every translation of every catalog."""
    found: list[tuple[str, str, str]] = []
    for po in sorted(LOCALES.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fp:
            catalog = read_po(fp)
        name = f"{po.parent.parent.name}/{po.stem}"
        for message in catalog:
            if not message.id or (message.locations and all(cli_only(path) for path, _ in message.locations)):
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in (*ids, *strings):
                if text:
                    found.append((name, ids[0], text))
    return found


def cli_only(path: str) -> bool:
    """Messages only the command line prints (plain text, never sent to Telegram)."""
    return path.startswith(("bot/cli/", "bot/console.py", "bot/__main__.py"))


def fill(text: str, value: str) -> str:
    """``text`` with each placeholder given ``value`` escaped, as every call site must (numbers for %d)."""
    return PLACEHOLDER.sub(lambda m: html.escape(value, quote=False) if m.group(3) == "s" else "7", text)


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_every_message_filled_with_hostile_values_is_valid_html(value: str) -> None:
    bad = {
        f"{name}: {msgid[:60]!r}: {found[0]}"
        for name, msgid, text in catalogs()
        if (found := [p for p in problems(fill(text, value)) if not p.startswith("the text is empty")])
    }
    assert not bad, "\n".join(sorted(bad))
