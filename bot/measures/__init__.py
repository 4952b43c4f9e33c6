"""The knowledge base of the 32 measures and question answering over it.

Domain code only: nothing here knows about Telegram or databases.

    from bot.measures import get_index
    answer = get_index("zh").answer("党费怎么用")
"""

from __future__ import annotations

from bot.measures.knowledge import Measure, Notice, Section, SectionRef, load_notice
from bot.measures.search import Answer, Hit, MeasureIndex, get_index, highlight

__all__ = [
    "Answer",
    "Hit",
    "Measure",
    "MeasureIndex",
    "Notice",
    "Section",
    "SectionRef",
    "get_index",
    "highlight",
    "load_notice",
]
