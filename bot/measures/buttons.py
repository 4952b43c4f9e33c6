"""The measures' buttons (``ms:``), declared with the codec (:mod:`bot.callbacks`).

They carry what they always carried, so the buttons under answers sent before still work:
``ms:idx[:<lang>][:new]``, ``ms:s:<section>[:<lang>][:new]`` and ``ms:m:<measure>[:<lang>][:new]`` — the view,
the language of the text shown (an answer in Chinese to an English-locale member keeps its full text in Chinese)
and ``new`` when the view comes as a new message (from an answer, which stays in the chat) rather than in place
of the message. The index carries no number, so what follows the view depends on the view: the declaration
(:class:`MeasuresButton`) packs and parses the parts, :class:`MeasuresLink` reads them into typed values and
refuses any other shape with :class:`~bot.callbacks.BadCallback`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.callbacks import BadCallback, CallbackData

LANGUAGES = ("zh", "en")  # the knowledge base's languages (bot.measures.search.index_language)
NEW = "new"
_NUMBER = {"s": re.compile(r"[0-9]{1,2}"), "m": re.compile(r"[0-9]{1,3}")}


class MeasuresView(enum.StrEnum):
    """What a button opens."""

    INDEX = "idx"  # the seven sections
    SECTION = "s"  # one section's measures
    MEASURE = "m"  # one measure in full


class MeasuresButton(CallbackData, prefix="ms"):
    """The packed form: the view, then up to three parts (number, language, ``new``; see :class:`MeasuresLink`)."""

    view: MeasuresView
    first: str | None = None
    second: str | None = None
    third: str | None = None


@dataclass(frozen=True)
class MeasuresLink:
    """A measures button's meaning: the view, its number (none for the index), the language, and ``new``."""

    view: MeasuresView
    number: int | None = None
    lang: str | None = None
    new: bool = False

    def pack(self) -> str:
        """The button's ``callback_data``."""
        if (self.number is None) != (self.view is MeasuresView.INDEX):
            raise ValueError(f"{self.view}: a number is needed for a section or a measure, and only for them")
        if self.lang is not None and self.lang not in LANGUAGES:
            raise ValueError(f"unknown language {self.lang!r}")
        parts = [str(self.number)] if self.number is not None else []
        parts += [self.lang] if self.lang is not None else []
        parts += [NEW] if self.new else []
        parts += [None] * (3 - len(parts))  # type: ignore[list-item]
        return MeasuresButton(view=self.view, first=parts[0], second=parts[1], third=parts[2]).pack()

    @classmethod
    def parse(cls, data: str | None) -> MeasuresLink:
        """The link ``data`` carries; :class:`BadCallback` for any other shape (a forged or stale button)."""
        button = MeasuresButton.parse(data)
        rest = [part for part in (button.first, button.second, button.third) if part is not None]
        number = None
        if button.view is not MeasuresView.INDEX:
            if not rest or not _NUMBER[button.view.value].fullmatch(rest[0]):
                raise BadCallback(data, "no number")
            number = int(rest.pop(0))
        lang = None
        if rest and rest[0] in LANGUAGES:
            lang = rest.pop(0)
        new = bool(rest) and rest[0] == NEW
        if new:
            rest.pop(0)
        if rest:
            raise BadCallback(data, "unexpected parts")
        return cls(button.view, number, lang, new)
