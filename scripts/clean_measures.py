"""Clean the PDF-extracted notice into ``bot/measures/data/measures.zh.json``.

One-off but kept so the data file is reproducible:

    python scripts/clean_measures.py [SEED] [OUT]

Only PDF artifacts are removed: every whitespace character (the text is Chinese, so spaces and line breaks
are never part of it), the page-number lines such as "— 11 —", and the ASCII dot that measures 26, 27 and 30
use after their number (the number becomes a field, so its separator is not kept). Every other character is
kept in order; ``tests/test_measures_knowledge.py`` proves it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = Path("/work/shared/seed/measures-notice.txt")
DEFAULT_OUT = ROOT / "bot" / "measures" / "data" / "measures.zh.json"

NUMERALS = "一二三四五六七"
PAGE_NUMBER = re.compile(r"^\s*—\s*\d+\s*—\s*$")
SECTION_LINE = re.compile(rf"^\s*([{NUMERALS}])、\s*(.+)$")
# Measures 26, 27 and 30 use an ASCII dot, the others a full-width one.
MEASURE_LINE = re.compile(r"^\s*(\d{1,2})\s*[．.]\s*(.*)$")
FRONT = re.compile(
    r"^(?P<heading>.+?的通知)(?P<addressees>.+?：)(?P<body>《.+?。)(?P<issuer>中共东莞市委办公室)"
    r"(?P<date_text>(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日)(?P<title>关于.+?若干措施)(?P<preamble>为.+)$"
)
WHITESPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Drop every whitespace character (line breaks and stray spaces of the PDF extraction)."""
    return WHITESPACE.sub("", text)


def lead_title(text: str) -> str:
    """The measure's lead title: its first sentence, without the closing full stop."""
    end = text.index("。")
    return text[:end]


def clean(raw: str) -> dict[str, Any]:
    """Parse the raw seed text into the structured notice."""
    lines = [line for line in raw.splitlines() if not PAGE_NUMBER.match(line)]
    front: list[str] = []
    sections: list[dict[str, Any]] = []
    current: list[str] | None = None  # the lines of the part being read (a measure's text)
    expected = 1
    for line in lines:
        section = SECTION_LINE.match(line)
        measure = MEASURE_LINE.match(line)
        if section and NUMERALS.index(section.group(1)) == len(sections):
            sections.append(
                {
                    "number": len(sections) + 1,
                    "numeral": section.group(1),
                    "title": squeeze(section.group(2)),
                    "measures": [],
                }
            )
            current = None
        elif measure and int(measure.group(1)) == expected and sections:
            current = [measure.group(2)]
            sections[-1]["measures"].append({"number": expected, "_lines": current})
            expected += 1
        elif current is not None:
            current.append(line)
        elif not sections:
            front.append(line)
        elif squeeze(line):
            raise ValueError(f"text between a section heading and its first measure: {line!r}")
    if expected != 33 or len(sections) != 7:
        raise ValueError(f"found {expected - 1} measures in {len(sections)} sections, expected 32 in 7")
    for sec in sections:
        for m in sec["measures"]:
            text = squeeze("".join(m.pop("_lines")))
            m["title"] = lead_title(text)
            m["text"] = text
    head = FRONT.match(squeeze("".join(front)))
    if head is None:
        raise ValueError("could not parse the notice's front matter")
    return {
        "lang": "zh",
        "unofficial": False,
        "note": "据东莞市委办公室2021年11月23日通知原文整理（去除PDF提取产生的空格、断行和页码）。",
        "heading": head["heading"],
        "addressees": head["addressees"],
        "body": head["body"],
        "issuer": head["issuer"],
        "date": f"{int(head['y']):04d}-{int(head['m']):02d}-{int(head['d']):02d}",
        "date_text": head["date_text"],
        "title": head["title"],
        "preamble": head["preamble"],
        "sections": sections,
    }


def main(argv: list[str]) -> None:
    """Read the seed, write the JSON."""
    seed = Path(argv[1]) if len(argv) > 1 else DEFAULT_SEED
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    data = clean(seed.read_text(encoding="utf-8"))
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {sum(len(s['measures']) for s in data['sections'])} measures")


if __name__ == "__main__":
    main(sys.argv)
