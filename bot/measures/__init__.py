"""The knowledge base of the 32 measures and question answering over it.

Domain code only: nothing here knows about Telegram or databases.

    from bot.measures import ask, get_index
    answer = ask("党费怎么用", locale="en")  # the index of the question's language
    answer = get_index("zh").answer("党费怎么用")  # one index
"""

from __future__ import annotations

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
