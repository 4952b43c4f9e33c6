"""Which measure a question's wording points to, learnt from labelled questions (哪一条: 用词像在问哪条措施).

The ranking (search.py) weighs the measures' text, the thesaurus and the written questions as examples. Among the
three it ranks best, the first is wrong for about one answerable question in twelve of the unprimed batches, mostly
one of the other two: people who ask about one measure use words the text shares with its neighbours ("党建考核" for
the working committee's appraisal, 30, not the assessment of branches, 29). Those ways of asking recur.

A linear classifier over the 32 measures, on the same hashed grams as ``topicality.py`` in fewer slots (2^14), its
weights signed bytes with a scale per measure (``data/measure_classifier.bin``, 0.5 MB), trained offline by
``python -m bot.measures.build_classifiers`` on the labelled questions with a measure (the written ones, the tuning
set, the batches already read). ``logits`` gives its logits for the three measures ranked best (three dot products,
not 32: the softmax's normaliser is common to all). Sessions 17-22 reordered them by place, less 1.25 a place, plus
that logit; since session 23 order.py weighs the logit with the ranking's own scores, and the decision to answer reads
the logits too (decline.py). Round of session 17.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import cache
from importlib import resources

from bot.measures.topicality import hashed

MAGIC = b"MCLS"
HEADER = struct.Struct("<4sII")  # magic, log2 of the number of slots, number of measures
BUCKETS_LOG2 = 14  # 16,384 slots: as good as 2^16 out of fold (top-1 +60 and +134 against +58 and +138)


class MeasureClassifier:
    """Per measure (number 1..N), a bias and quantised weights over the slots."""

    def __init__(self, data: bytes) -> None:
        magic, self.buckets_log2, self.count = HEADER.unpack_from(data)
        if magic != MAGIC:
            raise ValueError("not a measure classifier")
        head = HEADER.size + 8 * self.count
        if len(data) != head + (self.count << self.buckets_log2):
            raise ValueError("the measure classifier is truncated")
        floats = memoryview(data)[HEADER.size : head].cast("f")
        self.biases, self.scales = floats[: self.count], floats[self.count :]
        self.weights = memoryview(data)[head:].cast("b")  # measure-major: measure i's slots, then i + 1's

    def logit(self, question: str, number: int) -> float:
        """The classifier's logit (before the softmax) that ``question`` asks about measure ``number``."""
        return self._logit(hashed(question, self.buckets_log2), number)

    def _logit(self, slots: dict[int, float], number: int) -> float:
        i = number - 1
        base, w = i << self.buckets_log2, self.weights
        return self.biases[i] + self.scales[i] * sum(w[base + slot] * v for slot, v in slots.items())

    def logits(self, question: str, numbers: Sequence[int]) -> list[float]:
        """The logits of ``question`` for measures ``numbers``, in their order."""
        slots = hashed(question, self.buckets_log2)
        return [self._logit(slots, n) for n in numbers]


def pack(biases: Sequence[float], scales: Sequence[float], weights: bytes, buckets_log2: int) -> bytes:
    """The file ``MeasureClassifier`` reads (the builder writes it); ``weights`` are signed bytes, measure-major."""
    count = len(biases)
    if len(scales) != count or len(weights) != count << buckets_log2:
        raise ValueError("the weights do not fit the measures and slots")
    return HEADER.pack(MAGIC, buckets_log2, count) + struct.pack(f"<{2 * count}f", *biases, *scales) + weights


@cache
def load_measure_classifier() -> MeasureClassifier:
    """The model shipped in ``data/measure_classifier.bin``."""
    return MeasureClassifier(resources.files("bot.measures").joinpath("data", "measure_classifier.bin").read_bytes())
