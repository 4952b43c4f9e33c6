"""The zh_CN catalogs read like Chinese (issue 12, docs/copy-guide.md): full-width punctuation, no spaces next to
Chinese characters, no English words leaking into Chinese messages.

Offenders that have not been rewritten yet are listed per catalog in ``tests/copy_lint/<catalog>.json`` (msgids).
The lists only shrink: a listed msgid that now passes, or no longer exists, fails the test too, so the list is
kept honest as the copy is reviewed. Rendered screens (templates, code-built text) are linted by the walk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = sorted((ROOT / "locales" / "zh_CN" / "LC_MESSAGES").glob("*.po"))
ALLOWLISTS = Path(__file__).resolve().parent / "copy_lint"

CJK = r"[\u3400-\u9fff]"
# Words allowed in Chinese text: product names and abbreviations people use as they are.
ALLOWED_WORDS = {"QR", "Excel", "Word", "Telegram", "PDF", "CSV", "xlsx", "docx", "csv", "ID", "TOML", "JSON", "URL"}
ALLOWED_WORDS |= {"SQLite", "English"}  # a product; the language's own name on the language choice
# Column names and values of the roster file and the settings, which an administrator types as they are.
ALLOWED_WORDS |= {"delegated", "language", "status", "active", "transferred", "true", "false", "zh", "en"}
ALLOWED_WORDS |= {"member", "committee", "secretary", "admin"}

_PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sd]|\{[a-z_0-9.]*\}")
_CODE_BLOCK = re.compile(r"<code>.*?</code>", re.S)  # an example to copy as it is: /newmeeting 主题党日 12月15日 …
_TAG = re.compile(r"</?[a-z]+(?:\s[^>]*)?>")
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_URL = re.compile(r"(?:[a-z][a-z0-9+]*://|t\.me/)\S*")  # also a bare scheme: "https://", "sqlite+aiosqlite://"
_COMMAND = re.compile(r"\s*/[a-z_]+(?:@\w+)?\s*")
_OPTION = re.compile(r"--[a-z][a-z-]*")
# ASCII word boundaries: "是zh_CN或" has none in Unicode terms, and the copy puts no space next to Chinese.
_PATH = re.compile(r"\b[A-Za-z][A-Za-z0-9_.-]*/[A-Za-z0-9_./-]+", re.ASCII)  # deploy/README.md, Asia/Shanghai
_CODE = re.compile(
    r"@\w+|\b[A-Za-z]+[0-9]+\b|\bbranchbot(?: [a-z][a-z-]*)*|(?<![\w:])[:][a-z]+|\b[A-Za-z0-9]+(?:[_.][A-Za-z0-9]+)+\b|\b[A-Z]{2,}\b",
    re.ASCII,
)
_LETTER = re.compile(r"(?<![A-Za-z])[A-Z](?![A-Za-z])")
_FORMAT_HINT = re.compile(r"Y{2,4}|\bMM\b|\bDD\b|\bHH\b|\b\d{4}-Q\d\b")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+")

_HALF_WIDTH = re.compile(r"[:,;()]|(?<=" + CJK + r")[?!]|[?!](?=" + CJK + r")")
# A space between Chinese and a Latin word is tolerated (Telegram 账号); next to a digit or a placeholder it is not.
_SPACE = re.compile(r"(?:" + CJK + r"|[0-9Ⓟ])[ \t]" + CJK + r"|" + CJK + r"[ \t](?:" + CJK + r"|[0-9Ⓟ])")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _plain(text: str) -> str:
    """The text a reader sees, with what the rules ignore taken out: markup, URLs, commands, times, numbers.

    Placeholders become Ⓟ, so "您 %(date)s 的" is still caught as a space next to a Chinese character.
    """
    text = _CODE_BLOCK.sub("Ⓒ", text)
    text = _TAG.sub("", text)
    text = _ENTITY.sub("", text)
    # Placeholders first: "%(parent_kind)s" must not be read as a code word and leave its brackets behind.
    text = _PLACEHOLDER.sub("Ⓟ", text)
    text = _URL.sub("Ⓤ", text)
    text = _PATH.sub("Ⓚ", text)
    text = _COMMAND.sub("Ⓒ", text)  # commands keep the spaces around them: Telegram needs them to link
    text = _OPTION.sub("Ⓞ", text)
    text = _LETTER.sub("Ⓟ", text)  # "第 N 个": a letter standing for a number reads like a placeholder
    text = _CODE.sub("Ⓚ", text)  # what people type or read as it is: @BotFather, BOT_TOKEN, :help, GBK, Big5
    text = _TIME.sub("0", text)
    return _NUMBER.sub("0", text)


def problems(msgstr: str) -> list[str]:
    """What is wrong with one Chinese message, in words (empty when it reads right)."""
    if not re.search(CJK, msgstr):
        return []
    text = _plain(msgstr)
    found = []
    if match := _FORMAT_HINT.search(_TAG.sub("", msgstr)):
        found.append(f"format hint for programmers {match.group()!r}")
    if match := _HALF_WIDTH.search(text):
        found.append(f"half-width {match.group()!r}")
    if match := _SPACE.search(text):
        found.append(f"space in {match.group()!r}")
    leaked = sorted({word for word in _WORD.findall(text) if word not in ALLOWED_WORDS})
    if leaked:
        found.append(f"English {', '.join(leaked)}")
    return found


def _offenders(catalog: Path) -> dict[str, list[str]]:
    with catalog.open("rb") as handle:
        po = read_po(handle)
    found: dict[str, list[str]] = {}
    for message in po:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        issues = [problem for string in strings if string for problem in problems(string)]
        if issues:
            found[msgid] = issues
    return found


def _allowed(catalog: Path) -> set[str]:
    path = ALLOWLISTS / f"{catalog.stem}.json"
    return set(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else set()


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: path.stem)
def test_chinese_messages_use_full_width_punctuation_and_no_stray_spaces_or_english(catalog: Path) -> None:
    offenders = _offenders(catalog)
    allowed = _allowed(catalog)
    new = {msgid: why for msgid, why in offenders.items() if msgid not in allowed}
    assert not new, "Chinese copy to fix (docs/copy-guide.md):\n" + "\n".join(
        f"  {msgid!r}: {'; '.join(why)}" for msgid, why in sorted(new.items())
    )
    fixed = sorted(allowed - offenders.keys())
    assert not fixed, f"now fine or gone — remove from tests/copy_lint/{catalog.stem}.json: {fixed}"


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("支部委员会会议: 0/1", True),
        ("相关措施：第23条；第10条", False),
        ("(1 份待审核)", True),
        ("%(name)s 报送了志愿服务", True),
        ("您%(date)s的志愿服务", False),
        ("发送 /cancel 可退出", False),
        ("请于 14:30 前签到", True),
        ("请于14:30前签到", False),
        ("请输入日期（YYYY-MM-DD）", True),
        ('<b>%(title)s</b>：<a href="https://t.me/x?start=a">打开</a>', False),
        ("共 1,000 人", True),
        ("共1,000人", False),
        ("已导出 Excel 台账", False),
        ("第 N 个按钮", True),
        ("请设置 BOT_TOKEN 后运行 branchbot run", False),
        ("这是 draft 版", True),
        ("%(code)s（%(kind)s）不能隶属于%(parent)s（%(parent_kind)s）", False),
        ("必须是以http://或https://开头的网址", False),
        ("请写成如 YYYY-MM-DD", True),
        ("待自评：<code>/stars 自评 %(key)s 〈分值〉</code>", False),
        ("⚠️ 提醒", False),
    ],
)
def test_the_lint_catches_what_the_copy_guide_forbids(text: str, bad: bool) -> None:
    assert bool(problems(text)) is bad


def test_command_line_option_help_asks_for_dates_in_words() -> None:
    """The command line's help gives examples people type ("2026-12-15 or 12月15日"), never a pattern like
    YYYY-MM-DD (docs/copy-guide.md: format hints are for programmers)."""
    from typing import Any

    import typer

    from bot.cli import app

    def walk(command: Any) -> list[str]:
        found = [
            f"{command.name} {p.name}: {p.help}"
            for p in command.params
            if _FORMAT_HINT.search(getattr(p, "help", None) or "")
        ]
        for sub in getattr(command, "commands", {}).values():
            found += walk(sub)
        return found

    command = typer.main.get_command(app)
    assert len(getattr(command, "commands", {})) > 5  # the whole tree was walked
    assert walk(command) == []
