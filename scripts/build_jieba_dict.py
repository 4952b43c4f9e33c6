"""Build ``bot/measures/data/jieba_base.txt``: the part of jieba's dictionary that matters for the measures.

jieba's full dictionary has ~350k words and takes ~0.6 s to load even from its cache, too slow for an index
that must be ready within a second of start-up. A word can only ever produce a token that matches the
measures if all its characters occur in the measures (or in the synonym table and the Party-term dictionary,
which is what questions are expanded to), so only those words are kept (~56k). A filler entry carries the
frequency mass of the dropped words so that jieba's total, and hence its segmentation of the measures, stays
exactly as with the full dictionary.

Run it again after changing measures.zh.json, synonyms.json or dict.txt (a test checks it is up to date):

    python scripts/build_jieba_dict.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.measures.analysis import ZH_STOPWORDS  # noqa: E402

DATA = ROOT / "bot" / "measures" / "data"
OUT = DATA / "jieba_base.txt"
# A private-use character: never typed, never in the text, so the filler word never matches anything.
FILLER = "\ue000"


def charset() -> set[str]:
    """The characters a useful word may consist of.

    The stop words' characters too: a question's 怎么 or 干嘛 must segment as the stop word it is, not as
    single characters that look like content the measures do not know.
    """
    chars = set((DATA / "measures.zh.json").read_text("utf-8"))
    chars |= set((DATA / "dict.txt").read_text("utf-8"))
    synonyms = json.loads((DATA / "synonyms.json").read_text("utf-8"))
    chars |= set(json.dumps(synonyms["zh"], ensure_ascii=False))
    chars |= set("".join(ZH_STOPWORDS))
    return chars


def build() -> str:
    """The content of the reduced dictionary ("word freq" per line, jieba's own format without tags)."""
    chars = charset()
    source = Path(jieba.__file__).resolve().parent / "dict.txt"
    kept: list[str] = []
    total = kept_total = 0
    for line in source.read_text("utf-8").splitlines():
        word, freq = line.split(" ")[:2]
        total += int(freq)
        if all(c in chars for c in word):
            kept.append(f"{word} {freq}")
            kept_total += int(freq)
    kept.append(f"{FILLER} {total - kept_total}")
    return "\n".join(kept) + "\n"


def main() -> None:
    """Write the reduced dictionary."""
    OUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
