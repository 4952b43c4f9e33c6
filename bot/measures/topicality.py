"""Whether a question is about what the notice regulates, judged from its own wording (题意: 问的是不是措施管的事).

The decision to answer (decline.py) weighs how well the retrieval matches the measures. Questions on Party
business the notice names without settling ("组织生活会一年开几次", "支部台账要记哪些东西", "志愿服务时长要求") match
the measures as well as real ones, so the retrieval alone cannot tell them apart: on the unprimed batches read so
far (42-59) it declined 2.7 % of the answerable questions and only 66 % of the off-topic ones. People who ask them
word them in their own ways (how often, what goes in, templates, who presides, can two meetings be merged), and
those ways recur.

This is a linear classifier over the question's characters (one to three in a row) and, in English, its words and
word pairs, hashed into ``2 ** BUCKETS_LOG2`` slots (crc32, stable across processes), trained offline by
``python -m bot.measures.build_classifiers`` on labelled questions: the written ones and those of the tuning set and
of the held-out batches already read (since session 25 all of them: before build_classifiers.JUDGES_FROM), never a
batch that judges. Its score is the log-odds that the question has a measure that answers it: one of the decision's
signals (decline.py; sessions 17-22 it moved the decision's bar).

Round of session 17. Standard library only at run time: the weights are float32 in ``data/topicality.bin`` (0.25 MB).
"""

from __future__ import annotations

import itertools
import math
import re
import struct
import zlib
from array import array
from collections import Counter
from functools import cache, lru_cache
from importlib import resources

from bot.measures.analysis import normalize

MAGIC = b"TOPI"
HEADER = struct.Struct("<4sIf")  # magic, log2 of the number of slots, bias
BUCKETS_LOG2 = 16  # 65,536 slots: 2^17 and 2^20 rank the read batches' questions about as well (AUC 0.926-0.929)
_EN_WORD = re.compile(r"[a-z]+")
_SPACES = re.compile(r"\s+")


def features(question: str) -> list[str]:
    """The question's grams: characters one to three in a row (not blanks alone), English words and word pairs."""
    text = _SPACES.sub(" ", normalize(question)).strip()
    grams = [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]
    out = [g for g in grams if g.strip()]
    words = _EN_WORD.findall(text)
    out += [f"w:{w}" for w in words]
    out += [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]
    return out


@lru_cache(maxsize=64)
def _codes(question: str) -> tuple[int, ...]:
    """The grams' crc32, kept for the last questions: both models hash the same question, in their own slots."""
    return tuple(zlib.crc32(g.encode("utf-8")) for g in features(question))


def hashed(question: str, buckets_log2: int = BUCKETS_LOG2) -> dict[int, float]:
    """The question's slots and their weights: 1 + log(count), scaled to unit length (shared with the builder)."""
    mask = (1 << buckets_log2) - 1
    counts = Counter(code & mask for code in _codes(question))
    weights = {slot: 1.0 + math.log(c) for slot, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {slot: w / norm for slot, w in weights.items()}


class Topicality:
    """The trained classifier: ``score`` is the log-odds that a question has a measure that answers it."""

    def __init__(self, data: bytes) -> None:
        magic, self.buckets_log2, self.bias = HEADER.unpack_from(data)
        if magic != MAGIC:
            raise ValueError("not a topicality model")
        if len(data) - HEADER.size != 4 << self.buckets_log2:
            raise ValueError("the topicality model is truncated")
        self.weights = memoryview(data)[HEADER.size :].cast("f")  # a view of the file's bytes, not a copy

    def score(self, question: str) -> float:
        """Log-odds that ``question`` is about what the notice regulates (positive: more likely than not)."""
        w = self.weights
        return self.bias + sum(w[slot] * v for slot, v in hashed(question, self.buckets_log2).items())


def pack(bias: float, weights: array[float]) -> bytes:
    """The file ``Topicality`` reads (the builder writes it)."""
    buckets_log2 = len(weights).bit_length() - 1
    if 1 << buckets_log2 != len(weights):
        raise ValueError("the number of slots must be a power of two")
    return HEADER.pack(MAGIC, buckets_log2, bias) + weights.tobytes()


@cache
def load_topicality() -> Topicality:
    """The model shipped in ``data/topicality.bin``."""
    return Topicality(resources.files("bot.measures").joinpath("data", "topicality.bin").read_bytes())
