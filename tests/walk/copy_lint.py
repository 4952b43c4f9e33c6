"""Checks of rendered screens (what a phone shows), not of catalogs: database ids, Chinese punctuation and spacing,
English leaking into Chinese, and whether a screen fits a phone.

Each check returns, per screen, the offending fragments; the walk's tests compare the screens' keys with their
allowlists (tests/walk/allowlists.py).
"""

from __future__ import annotations

import html
import re

from tests.walk.database import FIRST_ID

# -- what a screen shows ----------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"(?:https?://|tg://)\S+|t\.me/\S+")
_COMMAND = re.compile(r"(?<![\w/])/[a-z][a-z0-9_]*(?:@\w+)?(?: (?:on|off)\b)?")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")


def visible(text: str) -> str:
    """The text as shown: HTML tags removed, entities resolved."""
    return html.unescape(_TAG.sub("", text))


def _plain(text: str) -> str:
    """The visible text with URLs and command names (their punctuation and words are not copy) as ``X``."""
    return _COMMAND.sub("X", _URL.sub("X", visible(text)))


# -- database ids -----------------------------------------------------------------------------------------------

# The walk's ids start at FIRST_ID (70001): any number from 70001 up to 79999 standing alone is one of them.
_ID = re.compile(r"(?<![0-9A-Za-z_\-.])(7\d{4})(?![0-9A-Za-z_])")


def database_ids(text: str) -> list[str]:
    """The database ids a screen shows, with a little of their context (``#70003``, ``第 70003 号``)."""
    shown = visible(text)
    found: list[str] = []
    for match in _ID.finditer(shown):
        if int(match.group(1)) >= FIRST_ID:
            found.append(shown[max(0, match.start() - 8) : match.end() + 4].replace("\n", " "))
    return found


# -- Chinese copy -----------------------------------------------------------------------------------------------

_HALF_WIDTH = re.compile(r"[:,;()?!]")
_TIME_OR_NUMBER = re.compile(r"\d[:,]\d")


def half_width_punctuation(text: str) -> list[str]:
    """Half-width ``: , ; ( ) ? !`` next to a Chinese character (times like 14:30 and numbers like 1,000 aside)."""
    plain = _plain(text)
    found: list[str] = []
    for match in _HALF_WIDTH.finditer(plain):
        at = match.start()
        if _TIME_OR_NUMBER.fullmatch(plain[max(0, at - 1) : at + 2]):
            continue
        before = plain[:at].rstrip(" ")[-1:]
        after = plain[at + 1 :].lstrip(" ")[:1]
        if _CJK_CHAR.match(before) or _CJK_CHAR.match(after):
            found.append(plain[max(0, at - 6) : at + 7].replace("\n", " "))
    return found


_TYPED_EXAMPLE = re.compile(r"<code>.*?</code>", re.DOTALL)
_SPACED = re.compile(f"[{_CJK}][ \u00a0]+[{_CJK}0-9]|[0-9][ \u00a0]+[{_CJK}]")
_CLOCK = re.compile(r"\d{1,2}:\d{2}")
_CLOCK_BEFORE = re.compile(r"\d{1,2}:\d{2}$")


def stray_spaces(text: str) -> list[str]:
    """A space between a Chinese character and a Chinese character, a name or a number (a clock time beside a
    title, "14:30 主题党日", is a column of a list, not a placeholder in a sentence). A typed example in
    ``<code>`` ("/ledger 1月1日 3月31日") keeps the spaces that separate a command's words."""
    plain = _plain(_TYPED_EXAMPLE.sub("X", text))
    found: list[str] = []
    for match in _SPACED.finditer(plain):
        if _CLOCK_BEFORE.search(plain, 0, match.start() + 1) or _CLOCK.match(plain, match.end() - 1):
            continue
        found.append(plain[max(0, match.start() - 4) : match.end() + 4].replace("\n", " "))
    return found


# English a Chinese screen may show: product and format names, units. Command names are left out before.
ALLOWED_WORDS = frozenset(
    {
        "QR",
        "Excel",
        "Word",
        "Telegram",
        "English",
        "PDF",
        "CSV",
        "PNG",
        "ID",
        "App",
        "WPS",
        "xlsx",
        "docx",
        "pdf",
        "csv",
    }
)
_WORD = re.compile(r"(?<![A-Za-z0-9_.@\-])[A-Za-z][A-Za-z']+(?![A-Za-z0-9_@])")


def english_words(text: str) -> list[str]:
    """English words in a Chinese screen (other than :data:`ALLOWED_WORDS` and command names)."""
    if not _CJK_CHAR.search(visible(text)):
        return []  # a screen without Chinese (a file name alone) is not Chinese copy
    return [m.group(0) for m in _WORD.finditer(_plain(text)) if m.group(0) not in ALLOWED_WORDS]


# -- fitting a phone --------------------------------------------------------------------------------------------

MAX_LINE_WIDTH = 30  # Chinese characters; an ASCII character counts half
MAX_LINES = 20


def width(line: str) -> float:
    """A line's width in Chinese characters: CJK and full-width count 1, ASCII 0.5 (emoji 1)."""
    return sum(0.5 if ord(ch) < 0x2E80 and not 0x2600 <= ord(ch) <= 0x27BF else 1.0 for ch in line)


def wide_lines(text: str) -> list[str]:
    """The lines of a screen wider than :data:`MAX_LINE_WIDTH` (URLs count as they are shown, whole)."""
    return [line for line in visible(text).splitlines() if width(line) > MAX_LINE_WIDTH]


def too_many_lines(text: str) -> int:
    """How many lines over :data:`MAX_LINES` the screen has (0 when it fits)."""
    return max(0, len(visible(text).splitlines()) - MAX_LINES)
