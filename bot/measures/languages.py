"""Which language a question is in, and which index answers a reader's locale."""

from __future__ import annotations

import re


def index_language(lang: str | None) -> str:
    """The index for a locale code: "en" for English ones ("en", "en-US"), "zh" for anything else."""
    return "en" if lang and lang.lower().startswith("en") else "zh"


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]")


def question_language(question: str, default: str | None = "zh") -> str:
    """The language a question is written in: "zh" when it has Chinese characters (mixed questions too),
    "en" when it has Latin letters and none, else (digits, emoji) the reader's language ``default``."""
    if _CJK.search(question):
        return "zh"
    if _LATIN.search(question):
        return "en"
    return index_language(default)
