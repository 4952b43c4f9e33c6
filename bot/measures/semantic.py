"""A character n-gram model of what each measure is about, beside BM25's words.

BM25 needs the question to share words with the text; members paraphrase ("开会第一件事学什么" for 第一议题).
This model compares the question's character 1-3 grams (Chinese) or word and 4-gram pieces (English), weighted by
tf-idf, with examples of each measure: its sentences, its title, the domain thesaurus's terms and questions
written for it from the notice (``data/questions.jsonl``, never from an evaluation set). A measure's score mixes
its centroid (all its examples) and its nearest example (a paraphrase close to one written question).

The same file holds off-topic questions written from the domain's neighbours (Party dues rates, joining the Party,
leave, the canteen): a question nearer to those than to any measure is declined.

Pure Python and sparse dictionaries: about 0.2 ms per question, built in well under 100 ms.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from bot.measures.analysis import EN_STOPWORDS, normalize
from bot.measures.english import en_stem
from bot.measures.knowledge import Notice
from bot.measures.numbers import measure_references
from bot.measures.roles import en_role_span, role_span

CENTROID_SHARE = 0.5  # the rest is the nearest single example
# Grams in more than this share of the examples (党, 机关, 的) are left out of the nearest-example search: their
# weight is small and their lists long (the search would take milliseconds); the centroids keep them. Round 12 halved
# it from 0.1, as its written questions doubled the lists (动, 上, 活: 340-400 examples each): p95 15 % lower, and on
# the sets already seen the same figures but for one question here or there, either way.
COMMON_SHARE = 0.05
_ZH_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[0-9a-z]+")
_EN_WORD = re.compile(r"[a-z0-9]+")
# Characters of questions that say nothing about the subject (how, what, can, the particles).
_ZH_FILLER = frozenset(
    "的了吗呢啊吧呀嘛么是在有和与及或要会能可怎样如何什啥哪些个谁几多少为请问一下"
    "我们你他她它这那就都也还又对把被给让从到向该应需"
)


# The words that make a sentence a question (怎么用, 是什么): cut out, so that grams span only what is asked about.
_ZH_ASKING = re.compile(
    r"怎么样|怎么|怎样|如何|什么|为什么|干嘛|干啥|哪些|哪里|哪个|多少|能不能|可不可以|可以|是不是|要不要|有没有"
    r"|需不需要|应该|需要|请问|一下|我们|我"
)


def zh_features(text: str) -> Counter[str]:
    """Character 1-3 grams of the Chinese runs (unigrams of filler characters left out), ASCII words whole."""
    out: Counter[str] = Counter()
    text = normalize(text)
    role = role_span(text)
    if role is not None:
        text = text[: role[0]] + " " + text[role[1] :]  # who asks is not what the question is about
    for run in _ZH_RUN.findall(_ZH_ASKING.sub(" ", text)):
        if run.isascii():
            out[run] += 1
            continue
        for n in (1, 2, 3):
            for k in range(len(run) - n + 1):
                g = run[k : k + n]
                if n == 1 and g in _ZH_FILLER:
                    continue
                out[g] += 1
    return out


def en_features(text: str, roles: bool = True) -> Counter[str]:
    """Stemmed content words, word pairs, and the 4-grams of longer words (typos and word forms)."""
    out: Counter[str] = Counter()
    text = normalize(text)
    role = en_role_span(text) if roles else None
    if role is not None:
        text = text[: role[0]] + " " + text[role[1] :]  # who asks is not what the question is about
    stems = [en_stem(w) for w in _EN_WORD.findall(text) if w not in EN_STOPWORDS]
    for k, s in enumerate(stems):
        out[s] += 1
        if k:
            out[f"{stems[k - 1]}_{s}"] += 1
        if len(s) > 5:
            for j in range(len(s) - 3):
                out[f"#{s[j : j + 4]}"] += 1
    return out


@dataclass(frozen=True)
class Semantic:
    """Scores of one question: per measure index (0-based), and the nearest off-topic example."""

    scores: dict[int, float]
    offtopic: float
    background: float = 0.0  # mean log-likelihood ratio of the question's grams, off-topic against the measures
    background_all: float = 0.0  # the same with the notice's own grams counted too

    @property
    def best(self) -> float:
        """The best measure's score (0.0 when nothing matched)."""
        return max(self.scores.values(), default=0.0)


def load_questions(lang: str, leave_out: frozenset[str] = frozenset()) -> list[tuple[str, tuple[int, ...]]]:
    """The written training questions of ``lang``: (question, measure numbers); no numbers for off-topic ones.
    ``leave_out``: kinds of question to leave out (the ablation's "without written-r6": round 6's, and so on)."""
    text = resources.files("bot.measures").joinpath("data", "questions.jsonl").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if line.strip():
            d = json.loads(line)
            if d["lang"] == lang and d.get("kind") not in leave_out:
                out.append((d["q"], tuple(int(n) for n in d["expect"])))
    return out


def learnt_from(question: str) -> bool:
    """Whether the models learn from a labelled question: not from one that names a measure by its number
    ("第二十四条讲什么", "第二十九条讲监督吗"). Such a question is answered by that number before any model is
    asked, and its label comes from the number: all a model could learn from it is to read "二十四节气" as measure
    24, or "讲监督吗" as measure 29."""
    return not measure_references(question)


def as_learnt(questions: Iterable[tuple[str, tuple[int, ...]]]) -> list[tuple[str, tuple[int, ...]]]:
    """The written questions the models built from them (the n-gram model, the word vectors) learn from."""
    return [(q, numbers) for q, numbers in questions if learnt_from(q)]


def en_features_all(text: str) -> Counter[str]:
    """en_features with the asker's role kept (the ablation's "without en_roles")."""
    return en_features(text, roles=False)


class _Postings:
    """For each gram, the examples that have it (or the measures whose centroid does) and its weight in each, packed
    into flat arrays: one slot per gram, its postings between two offsets. As lists of (int, float) tuples, or two small
    arrays per gram, the n-gram model held 20-28 MB once round 11 doubled the written questions, pushing the bot past
    its memory budget; packed it is a few."""

    def __init__(self, slots: dict[str, int], postings: dict[str, list[tuple[int, float]]]) -> None:
        self.offsets = array("i", [0])
        self.ids = array("i")
        self.weights = array("d")
        for g in slots:  # in slot order
            for e, w in postings.get(g, ()):
                self.ids.append(e)
                self.weights.append(w)
            self.offsets.append(len(self.ids))

    def of(self, slot: int) -> zip[tuple[int, float]]:
        """The (id, weight) postings of the gram in ``slot``."""
        first, end = self.offsets[slot], self.offsets[slot + 1]
        return zip(self.ids[first:end], self.weights[first:end], strict=True)


def _text_key(text: str) -> int:
    """A written question's key, the same in every process (``hash`` of a str is not: the kept index is pickled)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


class SemanticModel:
    """Tf-idf character n-gram vectors of each measure's examples, searched through an inverted index."""

    def __init__(
        self,
        notice: Notice,
        concepts: list[list[str]] | None,
        questions: Iterable[tuple[str, tuple[int, ...]]],
        roles: bool = True,
    ) -> None:
        # ``roles``: the asker's role introducing an English question is cut out (as always in Chinese).
        self._features = zh_features if notice.lang == "zh" else (en_features if roles else en_features_all)
        count = self._count = len(notice.measures)
        # (measure index or -1 for off-topic, features, the written question or "")
        examples: list[tuple[int, Counter[str], str]] = []
        for i, m in enumerate(notice.measures):
            examples.append((i, self._features(m.title), ""))
            examples.extend((i, self._features(s), "") for s in m.sentences)
            if concepts:
                examples.append((i, self._features(" ".join(concepts[i])), ""))
        for q, numbers in questions:
            feats = self._features(q)
            if not numbers:
                examples.append((-1, feats, q))
            for n in numbers:
                if 1 <= n <= count:
                    examples.append((n - 1, feats, q))
        # Idf over the examples: a gram in every measure's sentences (党, 机关) weighs little.
        df: Counter[str] = Counter()
        for _, feats, _ in examples:
            df.update(feats.keys())
        total = len(examples)
        # One slot per gram, and per slot its idf, counts and postings in flat arrays: as dictionaries keyed by gram
        # (idf, the two language models, the notice's grams, the postings' slots), each unpickled with its own copy
        # of the keys, the bot took 6 MB more (RSS 177 MB of the 180 allowed after round 13; 171 MB so).
        # (Interned: a gram that is also a word of the vector tables is one object, see WordVectors.)
        self._slots = {sys.intern(g): k for k, g in enumerate(df)}
        self._idf = array("d", (math.log((1 + total) / (1 + d)) + 1.0 for d in df.values()))
        self._owner: list[int] = []
        # The key of each example's written question (see _text_key; 0 for the notice's own text): only calibration
        # (leave_out) reads them, and 8 bytes each cost less than the 11,000 questions themselves (1.5 MB).
        self._text_keys = array("q")
        postings: dict[str, list[tuple[int, float]]] = {}
        centroids: list[dict[str, float]] = [{} for _ in range(count)]
        # The examples stand in the order of their owners (off-topic first), so that each owner's nearest example is
        # the max of one slice of the scores (a loop over every example in Python cost a millisecond a question).
        self._ranges: list[tuple[int, int, int]] = []  # (owner, first example, end)
        for owner, feats, text in sorted(examples, key=lambda ex: ex[0]):
            vec = self._vector(feats)
            if not vec:
                continue
            if not self._ranges or self._ranges[-1][0] != owner:
                self._ranges.append((owner, len(self._owner), len(self._owner)))
            self._ranges[-1] = (owner, self._ranges[-1][1], len(self._owner) + 1)
            e = len(self._owner)
            self._owner.append(owner)
            self._text_keys.append(_text_key(text) if text else 0)
            for g, w in vec.items():
                if df[g] <= COMMON_SHARE * total:
                    postings.setdefault(g, []).append((e, w))
                if owner >= 0:
                    centroids[owner][g] = centroids[owner].get(g, 0.0) + w
        # Two unigram language models of the grams, the measures' examples against the off-topic questions
        # (naive Bayes): grams such as 转正, 年假, 食堂 are frequent in one and absent from the other.
        self._on = array("i", bytes(4 * len(df)))
        self._off = array("i", bytes(4 * len(df)))
        # Each written question's key and whether it is off-topic (its grams are the question's own when it is left
        # out).
        self._written_keys = array("q")
        self._written_off = bytearray()
        # Grams of the notice itself (党费, 支部) are the measures' subject: only the others (转正, 年假, 比例) are
        # evidence of an off-topic question.
        self._notice_grams = bytearray(len(df))
        for owner, feats, text in examples:
            counts = self._off if owner < 0 else self._on
            for g, times in feats.items():
                slot = self._slots[g]
                counts[slot] += times
                if not text:
                    self._notice_grams[slot] = 1
            if text:
                self._written_keys.append(_text_key(text))
                self._written_off.append(owner < 0)
        self._vocab = len(df) + 1
        # Counted once: adding up the whole vocabulary per question cost 0.4 ms.
        self._on_total, self._off_total = sum(self._on), sum(self._off)
        centroid_postings: dict[str, list[tuple[int, float]]] = {}
        for i, c in enumerate(centroids):
            norm = math.sqrt(sum(w * w for w in c.values())) or 1.0
            for g, w in c.items():
                centroid_postings.setdefault(g, []).append((i, w / norm))
        self._postings = _Postings(self._slots, postings)
        self._centroid_postings = _Postings(self._slots, centroid_postings)

    def _vector(self, feats: Counter[str]) -> dict[str, float]:
        slots, idf = self._slots, self._idf
        vec = {g: (1.0 + math.log(c)) * idf[slots[g]] for g, c in feats.items() if g in slots}
        vec = {g: w for g, w in vec.items() if w > 0}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {g: w / norm for g, w in vec.items()} if norm else {}

    def score(self, question: str, leave_out: bool = False) -> Semantic:
        """Cosine similarities of the question with each measure (centroid and nearest example mixed).

        ``leave_out`` ignores a written example identical to the question (calibration on the written questions).
        """
        feats = self._features(question)  # once: the vector and both background models use them
        q = self._vector(feats)
        # One slot per measure and per example (lists: indexing one is cheaper than a dictionary's get and set).
        centroid = [0.0] * self._count
        nearest = [0.0] * len(self._owner)
        slots = self._slots
        for g, w in q.items():
            slot = slots.get(g)
            if slot is None:
                continue
            for i, v in self._centroid_postings.of(slot):
                centroid[i] += w * v
            for e, v in self._postings.of(slot):
                nearest[e] += w * v
        best_example: dict[int, float] = {}
        if leave_out:
            owners, keys, own_key = self._owner, self._text_keys, _text_key(question)
            for e, s in enumerate(nearest):
                if s > 0.0 and s > best_example.get(owners[e], 0.0) and keys[e] != own_key:
                    best_example[owners[e]] = s
        else:
            for owner, first, end in self._ranges:
                s = max(nearest[first:end])
                if s > 0.0:
                    best_example[owner] = s
        off = best_example.pop(-1, 0.0)
        background, background_all = self._background(question, feats, leave_out)
        scores = {
            i: CENTROID_SHARE * c + (1 - CENTROID_SHARE) * best_example.get(i, 0.0)
            for i, c in enumerate(centroid)
            if c or i in best_example
        }
        return Semantic(scores, off, background, background_all)

    def _background(self, question: str, feats: Counter[str], leave_out: bool) -> tuple[float, float]:
        """The background model's log-likelihood ratio per gram, off-topic : measures, over the grams the notice
        does not use and over all grams (one pass: each gram's ratio is computed once for both)."""
        on, off = self._on, self._off
        on_total, off_total = self._on_total, self._off_total
        own_off: bool | None = None
        if leave_out and (key := _text_key(question)) in self._written_keys:
            own_off = bool(self._written_off[self._written_keys.index(key)])
        own = feats if own_off is not None else Counter()
        if leave_out and own:
            on_total -= 0 if own_off else own.total()
            off_total -= own.total() if own_off else 0
        off_norm = off_total + 0.5 * self._vocab
        on_norm = on_total + 0.5 * self._vocab
        notice_grams, slots = self._notice_grams, self._slots
        llr = llr_all = 0.0
        n = 0
        for g, c in feats.items():
            n += c
            slot = slots.get(g)
            if slot is None:
                continue
            mine = own.get(g, 0)
            c_on = on[slot] - (0 if own_off else mine)
            c_off = off[slot] - (mine if own_off else 0)
            if c_on == 0 and c_off == 0:
                continue
            term = c * math.log(((c_off + 0.5) / off_norm) / ((c_on + 0.5) / on_norm))
            llr_all += term
            if not notice_grams[slot]:
                llr += term
        return (llr / n, llr_all / n) if n else (0.0, 0.0)
