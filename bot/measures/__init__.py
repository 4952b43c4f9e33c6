"""The knowledge base of the 32 measures and question answering over it.

Domain code only: nothing here knows about Telegram or databases.

    from bot.measures import ask, get_index
    answer = ask("党费怎么用", locale="en")  # the index of the question's language
    answer = get_index("zh").answer("党费怎么用")  # one index
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.measures.knowledge import Measure, Notice, Section, SectionRef, load_notice
    from bot.measures.search import Answer, Hit, MeasureIndex, ask, get_index, highlight, question_language

__all__ = [
    "Answer",
    "Hit",
    "Measure",
    "MeasureIndex",
    "Notice",
    "Section",
    "SectionRef",
    "ask",
    "get_index",
    "highlight",
    "load_notice",
    "question_language",
]

# Where each name lives. They are imported when first asked for (PEP 562), not with the package: the buttons'
# module (bot.measures.buttons) is imported by every bot at start-up, the search and its tables only by the first
# question or the warm-up job that runs once the bot polls.
_HOMES = {
    **dict.fromkeys(("Measure", "Notice", "Section", "SectionRef", "load_notice"), "bot.measures.knowledge"),
    **dict.fromkeys(
        ("Answer", "Hit", "MeasureIndex", "ask", "get_index", "highlight", "question_language"), "bot.measures.search"
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home), name)
