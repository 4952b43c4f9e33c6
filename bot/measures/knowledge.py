"""Load the structured notice (``data/measures.<lang>.json``) into immutable dataclasses."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES: tuple[str, ...] = ("zh", "en")
MEASURE_COUNT = 32
SECTION_COUNT = 7

# A sentence ends at a full stop, semicolon, question or exclamation mark (the semicolons of measure 31
# separate rules that stand on their own); a closing quote or bracket stays with its sentence.
_ZH_SENTENCE_END = re.compile(r"(?<=[。；！？])(?![”’」』）])|(?<=[。；！？][”’」』）])")
_EN_SENTENCE_END = re.compile(r"(?<=[.;!?])[”\"')]*\s+(?=[A-Z“\"(])")


@dataclass(frozen=True)
class SectionRef:
    """A section as seen from one of its measures: number (1..7), numeral and title."""

    number: int
    numeral: str
    title: str

    @property
    def label(self) -> str:
        """The heading as printed: "一、把党的政治建设摆在首位" or "I. Put the Party's political …"."""
        sep = "、" if "\u4e00" <= self.numeral[:1] <= "\u9fff" else ". "
        return f"{self.numeral}{sep}{self.title}"


@dataclass(frozen=True)
class Measure:
    """One of the 32 measures: its number, section, lead title, full text and sentences."""

    number: int
    section: SectionRef
    title: str
    text: str
    sentences: tuple[str, ...]

    @property
    def body(self) -> str:
        """The text after the lead title sentence."""
        return "".join(self.sentences[1:]).strip()


@dataclass(frozen=True)
class Section:
    """One of the 7 numbered sections with its measures."""

    number: int
    numeral: str
    title: str
    measures: tuple[Measure, ...]

    @property
    def ref(self) -> SectionRef:
        """The section's reference without its measures."""
        return SectionRef(self.number, self.numeral, self.title)

    @property
    def label(self) -> str:
        """The heading as printed."""
        return self.ref.label


@dataclass(frozen=True)
class Notice:
    """The whole notice: heading, date, issuer, the measures' title and preamble, and the sections."""

    lang: str
    heading: str
    addressees: str
    body: str
    issuer: str
    date: dt.date
    date_text: str
    title: str
    preamble: str
    sections: tuple[Section, ...]
    unofficial: bool
    note: str

    @property
    def measures(self) -> tuple[Measure, ...]:
        """All measures in order, 1..32."""
        return tuple(m for s in self.sections for m in s.measures)

    @property
    def recipients(self) -> str:
        """Whom the notice was sent to, as a phrase: "市直各单位，中央和省驻莞单位" / "all municipal units, and …"."""
        text = self.addressees.rstrip(":： ")
        return text[3:] if text.startswith("To ") else text

    def measure(self, number: int) -> Measure | None:
        """The measure with this number, or None when there is no such measure."""
        if 1 <= number <= len(self.measures):
            return self.measures[number - 1]
        return None

    def section(self, number: int) -> Section | None:
        """The section with this number (1..7), or None when there is no such section."""
        return next((s for s in self.sections if s.number == number), None)


def split_sentences(text: str, lang: str) -> tuple[str, ...]:
    """Split a measure's text into sentences, keeping every character (the parts join back to the text)."""
    pattern = _ZH_SENTENCE_END if lang == "zh" else _EN_SENTENCE_END
    if lang == "zh":
        parts = pattern.split(text)
    else:
        # Keep the separating whitespace with the preceding sentence so that the parts join back exactly.
        parts, start = [], 0
        for m in pattern.finditer(text):
            parts.append(text[start : m.end()])
            start = m.end()
        parts.append(text[start:])
    return tuple(p for p in parts if p.strip())


def _parse(data: dict[str, Any]) -> Notice:
    lang = str(data["lang"])
    sections = []
    for sec in data["sections"]:
        ref = SectionRef(int(sec["number"]), str(sec["numeral"]), str(sec["title"]))
        measures = tuple(
            Measure(
                number=int(m["number"]),
                section=ref,
                title=str(m["title"]),
                text=str(m["text"]),
                sentences=tuple(s.strip() for s in split_sentences(str(m["text"]), lang)),
            )
            for m in sec["measures"]
        )
        sections.append(Section(ref.number, ref.numeral, ref.title, measures))
    notice = Notice(
        lang=lang,
        heading=str(data["heading"]),
        addressees=str(data["addressees"]),
        body=str(data["body"]),
        issuer=str(data["issuer"]),
        date=dt.date.fromisoformat(str(data["date"])),
        date_text=str(data["date_text"]),
        title=str(data["title"]),
        preamble=str(data["preamble"]),
        sections=tuple(sections),
        unofficial=bool(data["unofficial"]),
        note=str(data["note"]),
    )
    numbers = [m.number for m in notice.measures]
    if numbers != list(range(1, MEASURE_COUNT + 1)) or len(notice.sections) != SECTION_COUNT:
        raise ValueError(f"measures.{lang}.json: expected measures 1..32 in 7 sections")
    return notice


@cache
def load_notice(lang: str = "zh") -> Notice:
    """Load the notice in ``lang`` ("zh" is the official text, "en" an unofficial rendering); cached."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    raw = resources.files("bot.measures").joinpath("data", f"measures.{lang}.json").read_text("utf-8")
    return _parse(json.loads(raw))
