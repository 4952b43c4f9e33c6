"""What the search gives back: the measures that answer a question (``Hit``) and the whole answer (``Answer``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from bot.measures.asides import Aside, asks_for_titles
from bot.measures.frequencies import asked_frequencies
from bot.measures.knowledge import Measure
from bot.measures.leads import no_figure_given
from bot.measures.numbers import number_runs
from bot.measures.schedule import Asked
from bot.measures.unregulated import not_regulated
from bot.services.kinds_of_meeting import MeetingKind

UNSURE_SHARE = 0.8  # a second measure scoring at least this share of the best: show both


@dataclass(frozen=True)
class Hit:
    """A measure that answers the question, its score, the sentences that matched and the matched terms."""

    measure: Measure
    score: float
    sentences: tuple[str, ...]
    terms: tuple[str, ...]
    weak: tuple[str, ...] = ()  # those of ``terms`` so common in the measures that alone they are not bold
    lead: str = ""  # the one sentence that answers the question (shown first), "" when asked only by number

    @property
    def quoted(self) -> tuple[str, ...]:
        """The matched sentences quoted beside the lead: not the lead again, nor the measure's title sentence, which
        the heading already gives ("第7条 · 坚持第一议题制度" over "坚持第一议题制度。")."""
        title = self.measure.sentences[0] if self.measure.sentences else ""
        return tuple(s for s in self.sentences if s != self.lead and s != title)


class Found(NamedTuple):
    """What the ranking and the decision found for a question: the hits; when declined though nearly answered, the
    measure nearest in subject; whether the answer is tentative (see ``Answer``)."""

    hits: tuple[Hit, ...] = ()
    nearest: Measure | None = None
    tentative: bool = False


@dataclass(frozen=True)
class Answer:
    """The result for one question; ``hits`` is empty when the index does not know."""

    question: str
    hits: tuple[Hit, ...]
    number_requested: int | None = None
    # "第二十三、二十四条", "第5条跟第7条有什么区别": several measures by number, in the order asked; the hits are those
    # measures (number_requested is the first).
    numbers_requested: tuple[int, ...] = ()
    # Numbers asked for that the notice has no measure for ("第30到35条": 33, 34, 35), in the order asked: the reply
    # says so beside the measures it has (numbers_requested, then even one) or alone (out_of_range).
    numbers_missing: tuple[int, ...] = ()
    section_requested: int | None = None  # "第三部分讲什么": the hits are that section's measures, in order
    # "32条里每年要做的事情有哪些": the notice's tasks of that period (schedule.py); the hits are their measures, in
    # order (none for a month or a quarter, which the notice sets nothing for).
    schedule: Asked | None = None
    out_of_range: int | None = None
    too_long: bool = False
    no_words: bool = False  # nothing to search for: empty, one character, emoji or punctuation only
    aside: Aside | None = None  # small talk, a question on the assistant or on the notice as a whole
    lang: str = "zh"  # the language of the index that answered (of the quotes and titles)
    # No hits because the decision to answer was not sure enough, though nearly: the measure ranked first, which the
    # reply names as nearest in subject ("related": it may mention what is asked without settling it).
    nearest: Measure | None = None
    # Answered, though the decision was barely sure (decline.TENTATIVE_PROBABILITY): the reply says first that the
    # measures may not answer this directly, and shows what comes closest.
    tentative: bool = False

    @property
    def missing_runs(self) -> list[tuple[int, int]]:
        """The numbers missing, as runs of consecutive ones ("33–35, 40")."""
        return number_runs(self.numbers_missing)

    @property
    def known(self) -> bool:
        """True when there is at least one hit."""
        return bool(self.hits)

    @cached_property
    def titles_requested(self) -> bool:
        """True when a question on the notice as a whole asks for its measures' titles: the reply lists them (the
        template asks once per section: found once)."""
        return self.aside is Aside.ABOUT_THE_NOTICE and asks_for_titles(self.question)

    @property
    def not_regulated(self) -> bool:
        """True when nothing answers because the notice does not regulate what is asked (unregulated.py)."""
        return not self.hits and self.aside is None and not_regulated(self.question)

    @property
    def ranked(self) -> bool:
        """True when the hits are the ranking's: not measures asked for by number, a section's or the calendar's."""
        return self.number_requested is None and self.section_requested is None and self.schedule is None

    @property
    def unsure(self) -> bool:
        """True when the second measure scores nearly as well as the first: the chat shows both."""
        return self.ranked and len(self.hits) >= 2 and self.hits[1].score >= UNSURE_SHARE * self.hits[0].score

    @cached_property
    def frequencies(self) -> tuple[MeetingKind, ...]:
        """The meetings whose frequency the question asks about, which the regulations set and the notice does not
        (frequencies.py): the chat, the CLI and ``figure_missing`` read them here, found once per answer."""
        return asked_frequencies(self.question)

    @property
    def figure_missing(self) -> bool:
        """True when the question asks for a figure that the measures the answer quotes (the first, and the second when
        it is shown too) do not set anywhere in their text: the answer says so. Not when the regulations' frequency of
        a meeting answers it (frequencies.py), nor for a measure asked by number or a section's list."""
        if not self.hits or not self.ranked:
            return False
        quoted = self.hits[:2] if self.unsure else self.hits[:1]
        return not self.frequencies and no_figure_given(self.question, [h.measure.text for h in quoted])
