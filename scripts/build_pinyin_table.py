"""Build ``bot/measures/data/pinyin.txt``: the toneless readings of the characters members type.

Questions typed with a pinyin keyboard carry homophone slips: 党废 for 党费, 支布 for 支部, 积份 for 积分.
To correct them the analyser needs each character's readings. They are taken once, offline, from the
``pypinyin`` package (a development dependency only), for the 6,763 characters of GB 2312 (what pinyin
keyboards offer first) and every character of the measures, the synonym table and the Party-term
dictionary; the bot reads the table and needs no pinyin library at run time.

One line per character: the character and its readings, most common first ("行 xing hang").
Run it again after changing the data files (a test checks it is up to date):

    python scripts/build_pinyin_table.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pypinyin import Style, pinyin

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bot" / "measures" / "data"
OUT = DATA / "pinyin.txt"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def gb2312_hanzi() -> set[str]:
    """The Chinese characters of GB 2312 (rows 16 to 87)."""
    chars = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return {c for c in chars if CJK.fullmatch(c)}


def characters() -> list[str]:
    """Every character the table covers, in code point order."""
    chars = gb2312_hanzi()
    chars |= set(CJK.findall((DATA / "measures.zh.json").read_text("utf-8")))
    chars |= set(CJK.findall((DATA / "dict.txt").read_text("utf-8")))
    synonyms = json.loads((DATA / "synonyms.json").read_text("utf-8"))
    chars |= set(CJK.findall(json.dumps(synonyms["zh"], ensure_ascii=False)))
    return sorted(chars)


def build() -> str:
    """The table's content."""
    lines = []
    for char in characters():
        readings = list(dict.fromkeys(r for r in pinyin(char, style=Style.NORMAL, heteronym=True)[0] if r.isalpha()))
        if readings:
            lines.append(" ".join([char, *readings]))
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the table."""
    OUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
