"""Telegram's HTML parse mode, checked before a message leaves: the allowed tags, nesting, entities, lengths.

The Bot API refuses a whole message over one stray ``<`` or an unknown tag ("can't parse entities"), so the
send boundary (``bot.outgoing``) validates every text and caption here, sends a safe version of an invalid
one, and splits what is over Telegram's length limits without ever cutting a tag.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "InvalidHtml",
    "check_html",
    "plain_length",
    "problems",
    "safe_text",
    "split_html",
]

TEXT_LIMIT = 4096  # characters of a message's text after entity parsing
CAPTION_LIMIT = 1024  # characters of a media caption after entity parsing
CALLBACK_DATA_LIMIT = 64  # bytes
BUTTON_LIMIT = 100  # inline buttons on one message

# Tag → the attributes it may carry (value pattern; None: an attribute without a value).
_ALLOWED: dict[str, dict[str, re.Pattern[str] | None]] = {
    "b": {},
    "strong": {},
    "i": {},
    "em": {},
    "u": {},
    "ins": {},
    "s": {},
    "strike": {},
    "del": {},
    "span": {"class": re.compile(r"tg-spoiler\Z")},
    "tg-spoiler": {},
    "a": {"href": re.compile(r"\S+\Z")},
    "tg-emoji": {"emoji-id": re.compile(r"\d+\Z")},
    "code": {"class": re.compile(r"language-[\w+#.-]+\Z")},
    "pre": {},
    "blockquote": {"expandable": None},
}
_REQUIRED = {"span": "class", "a": "href", "tg-emoji": "emoji-id"}
_VERBATIM = frozenset({"code", "pre"})  # no markup inside, except <code> directly inside <pre>

_TAG = re.compile(
    r"<(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?P<attrs>(?:\s+[A-Za-z][A-Za-z0-9-]*(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=`]+))?)*)\s*(?P<self>/)?>"
)
_ATTR = re.compile(r"([A-Za-z][A-Za-z0-9-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>=`]+)))?")
_RUN = re.compile(r"\n|[^<&\n]+")  # a line break, or plain characters up to the next markup or line break
_ENTITY = re.compile(r"&(?:(?P<named>lt|gt|amp|quot);|#(?P<dec>[0-9]{1,7});|#[xX](?P<hex>[0-9A-Fa-f]{1,6});)")


class InvalidHtml(ValueError):
    """A text Telegram would refuse in HTML parse mode; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Token(NamedTuple):
    """A tag, an entity or a run of characters (a named tuple: a long text is cut character by character, and an
    administrator's city screen is 27,000 of them — as frozen dataclasses, a fifth of a second)."""

    raw: str
    visible: int  # UTF-16 code units the token adds to the text after parsing
    tag: str | None = None  # the tag's name, for tags
    closing: bool = False


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _tokens(text: str, errors: list[str]) -> list[_Token]:
    """Tags, entities and characters, in order; what is not Telegram HTML is reported in ``errors``."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            match = _TAG.match(text, i)
            if match is None:
                errors.append(f"a '<' that starts no tag at {i}")
                tokens.append(_Token("&lt;", 1))
                i += 1
                continue
            tokens.append(_Token(match.group(0), 0, match.group("name").lower(), bool(match.group("close"))))
            _check_tag(match, errors)
            i = match.end()
        elif ch == "&":
            entity = _ENTITY.match(text, i)
            if entity is None or not _entity_ok(entity):
                errors.append(f"a '&' that starts no entity at {i}")
                tokens.append(_Token("&amp;", 1))
                i += 1
                continue
            tokens.append(_Token(entity.group(0), _utf16(html.unescape(entity.group(0)))))
            i = entity.end()
        else:
            run = _RUN.match(text, i)
            assert run is not None  # ch is neither "<" nor "&": a run of at least one character
            if "\x00" in run.group(0):
                errors.append(f"a NUL character at {i + run.group(0).index(chr(0))}")
            tokens.append(_Token(run.group(0), _utf16(run.group(0))))
            i = run.end()
    return tokens


def _entity_ok(entity: re.Match[str]) -> bool:
    number = entity.group("dec") or entity.group("hex")
    if number is None:
        return True
    code = int(number, 16 if entity.group("hex") else 10)
    return 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF


def _check_tag(match: re.Match[str], errors: list[str]) -> None:
    name = match.group("name").lower()
    allowed = _ALLOWED.get(name)
    if allowed is None:
        errors.append(f"<{name}> is not a Telegram tag")
        return
    if match.group("self"):
        errors.append(f"<{name}/> cannot close itself")
    attrs = {m.group(1).lower(): m for m in _ATTR.finditer(match.group("attrs") or "")}
    if match.group("close"):
        if attrs:
            errors.append(f"</{name}> carries attributes")
        return
    for attr, attr_match in attrs.items():
        if attr not in allowed:
            errors.append(f"<{name}> cannot carry {attr}")
            continue
        pattern = allowed[attr]
        value = next((v for v in attr_match.groups()[1:] if v is not None), None)
        if pattern is None:
            if value is not None:
                errors.append(f"<{name} {attr}> takes no value")
        elif value is None or not pattern.match(html.unescape(value)):
            errors.append(f"<{name} {attr}=…> has an invalid value")
    required = _REQUIRED.get(name)
    if required is not None and required not in attrs:
        errors.append(f"<{name}> needs {required}")


def _check_structure(tokens: list[_Token], errors: list[str]) -> None:
    stack: list[str] = []
    for token in tokens:
        if token.tag is None or token.tag not in _ALLOWED:
            continue
        if token.closing:
            if not stack or stack[-1] != token.tag:
                if token.tag in stack:
                    errors.append(f"</{token.tag}> crosses another tag")
                    del stack[len(stack) - 1 - stack[::-1].index(token.tag) :]
                else:
                    errors.append(f"</{token.tag}> closes nothing open")
                continue
            stack.pop()
            continue
        if any(t in _VERBATIM for t in stack) and not (stack[-1] == "pre" and token.tag == "code"):
            errors.append(f"<{token.tag}> inside <{stack[-1]}>")
        if token.tag == "a" and "a" in stack:
            errors.append("<a> inside <a>")
        if token.tag == "blockquote" and "blockquote" in stack:
            errors.append("<blockquote> inside <blockquote>")
        stack.append(token.tag)
    for tag in stack:
        errors.append(f"<{tag}> is never closed")


def problems(text: str, *, limit: int | None = None) -> list[str]:
    """Why Telegram would refuse ``text`` in HTML mode (empty when it is valid); ``limit``: a length limit."""
    return list(_problems(text, limit))


@lru_cache(maxsize=256)
def _problems(text: str, limit: int | None) -> tuple[str, ...]:
    """:func:`problems`, kept for the texts seen last: the same screen (/help, a menu) is checked once, not for
    every message that sends it."""
    errors: list[str] = []
    tokens = _tokens(text, errors)
    _check_structure(tokens, errors)
    visible = "".join(html.unescape(t.raw) for t in tokens if t.tag is None)
    if not visible.strip():
        errors.append("the text is empty once parsed")
    if limit is not None and (length := _utf16(visible)) > limit:
        errors.append(f"{length} characters once parsed, over the limit of {limit}")
    return tuple(errors)


def check_html(text: str, *, limit: int | None = None) -> None:
    """Raise :class:`InvalidHtml` unless ``text`` is valid Telegram HTML (within ``limit`` if given)."""
    errors = problems(text, limit=limit)
    if errors:
        raise InvalidHtml(errors)


def plain_length(text: str) -> int:
    """The length Telegram counts (UTF-16 code units once parsed) of a valid HTML ``text``."""
    return sum(t.visible for t in _tokens(text, []))


def plain_text(text: str) -> str:
    """What a reader sees of a valid HTML ``text``: its markup stripped and its entities read (for a console)."""
    return html.unescape(_TAG.sub("", text))


def safe_text(text: str) -> str:
    """``text`` with its markup stripped and everything else escaped: valid HTML whatever ``text`` was."""
    without_tags = _TAG.sub("", text).replace("\x00", "")
    plain = html.escape(html.unescape(without_tags), quote=False).strip()
    return plain or "…"


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A valid HTML ``text`` in pieces of at most ``limit`` characters once parsed, cut after a line where
    possible; a tag open across a cut is closed before it and opened again after it (never cut inside a tag)."""
    if _utf16(text) <= limit:  # markup only shortens a text once parsed: nothing to cut (most texts)
        return [text]
    tokens = _tokens(text, [])
    if sum(t.visible for t in tokens) <= limit:
        return [text]
    # character by character, so that a line longer than the limit can be cut anywhere outside markup
    tokens = [
        c
        for t in tokens
        for c in (
            [_Token(ch, 2 if ch > "\uffff" else 1) for ch in t.raw]  # UTF-16 units of one character
            if t.tag is None and t.raw[0] not in "&" and len(t.raw) > 1
            else [t]
        )
    ]
    pieces: list[str] = []
    stack: list[_Token] = []  # the opening tags open at the start of the current piece
    start = 0
    while start < len(tokens):
        visible, end, after_line = 0, start, None
        while end < len(tokens) and visible + tokens[end].visible <= limit:
            visible += tokens[end].visible
            if tokens[end].raw == "\n":
                after_line = end + 1
            end += 1
        if end < len(tokens) and after_line is not None:
            end = after_line
        end = max(end, start + 1)
        opened = list(stack)
        for token in tokens[start:end]:
            if token.tag is None:
                continue
            if token.closing:
                if stack and stack[-1].tag == token.tag:
                    stack.pop()
            else:
                stack.append(token)
        body = "".join(t.raw for t in tokens[start:end])
        piece = "".join(t.raw for t in opened) + body + "".join(f"</{t.tag}>" for t in reversed(stack))
        if "".join(html.unescape(t.raw) for t in tokens[start:end] if t.tag is None).strip():
            pieces.append(piece)
        start = end
    return pieces or [text]
