"""The screens allowed to fail one of the walk's checks (tests/test_walk.py), each with its reason. After the copy
review of issue 12 only the answers to questions remain (their quoted sentences are the notice's wording). These
lists ONLY SHRINK: a screen that passes while listed fails the test (strike it off); a new screen that fails is
fixed, not listed.

A key is what caused the screen, without numbers: a command ("/help"), a button's kind ("mt:#:card"), "group …" in
the group chat, "… → push" for what the outbox delivered afterwards. The reason quotes the first offence seen
when the entry was written (the copy may have changed since; the key is what counts).
"""

from __future__ import annotations

# Full texts: exempt from the width and length checks (a measure's wording is the document's).
FULL_TEXTS: dict[str, str] = {
    "/measure": "a measure's full text (/measure N)",
    "group /measure": "a measure's full text (/measure N in the group chat)",
    "group ms:m:*:*": "a measure's full text",
    "group ms:m:*:*:*": "a measure's full text",
    "group ms:s:*:*": "a section of the notice, in full",
    "ms:m:*:*": "a measure's full text",
    "ms:m:*:*:*": "a measure's full text",
    "ms:s:*:*": "a section of the notice, in full",
}


# Screens that show a database id (70001 and up in the walk).
DATABASE_IDS: dict[str, str] = {}


# Chinese screens with half-width : , ; ( ) ? ! next to Chinese.
PUNCTUATION: dict[str, str] = {}


# Chinese screens with a space between Chinese and Chinese, a name or a number.
SPACES: dict[str, str] = {}


# Chinese screens with English words (not command names, not copy_lint.ALLOWED_WORDS).
ENGLISH: dict[str, str] = {}


# Chinese screens with a line wider than 30 Chinese characters (ASCII counts half).
WIDE_LINES: dict[str, str] = {
    "/ask": "the answer quotes a measure's sentences as the notice words them (a full text's wording); the phone wraps them",
    "group /ask": "the answer quotes a measure's sentences as the notice words them (a full text's wording); the phone wraps them",
    "text": "free text is answered as /ask: the answer quotes a measure's sentences as the notice words them (a full text's wording); the phone wraps them",
}


# Chinese screens over 20 lines that are not full texts.
LONG_MESSAGES: dict[str, str] = {}


# Declared buttons (codec prefixes, handler patterns) the walk never presses, and why.
UNREACHED_BUTTONS: dict[str, str] = {}
