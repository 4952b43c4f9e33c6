"""Which measure a question's wording points to, learnt from labelled questions (哪一条: 用词像在问哪条措施).

The ranking (search.py) weighs the measures' text, the thesaurus and the written questions as examples. Among the
three it ranks best, the first is wrong for about one answerable question in twelve of the unprimed batches, mostly
one of the other two: people who ask about one measure use words the text shares with its neighbours ("党建考核" for
the working committee's appraisal, 30, not the assessment of branches, 29). Those ways of asking recur.

A linear classifier over the 32 measures, on the same hashed grams as ``topicality.py`` in fewer slots (2^14), its
weights signed bytes with a scale per measure (``data/measure_classifier.bin``, 0.5 MB), trained offline by
``python -m bot.measures.build_classifiers`` on the labelled questions with a measure (the written ones, the tuning
set, the batches already read). ``logits`` gives its logits for every measure (the softmax's normaliser, common to
all, is left out). Sessions 17-22 reordered the three ranked best by place, less 1.25 a place, plus the logit; since
session 23 order.py weighs the logit with the ranking's own scores, and the decision to answer reads the logits of the
three too (decline.py); since session 24 the classifier's two best measures join the ranking's three as candidates of
the order. Round of session 17.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import cache
from importlib import resources
from operator import itemgetter

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
        size = 1 << self.buckets_log2
        self._rows = [self.weights[i * size : (i + 1) * size] for i in range(self.count)]  # views, not copies

    def logits(self, question: str) -> list[float]:
        """The classifier's logits (before the softmax) for every measure, by number (measure 1 first)."""
        # Most of a question's grams occur once, so most of its slots share one weight: each measure's bytes at the
        # slots of one weight are picked in one call and summed as integers (32 measures in about a tenth of a
        # millisecond, two to three times faster than a product per slot).
        by_weight: dict[float, list[int]] = {}
        for slot, v in hashed(question, self.buckets_log2).items():
            by_weight.setdefault(v, []).append(slot)
        picks = [(v, itemgetter(*slots), len(slots) > 1) for v, slots in by_weight.items()]
        return [
            bias + scale * sum(v * (sum(pick(row)) if many else pick(row)) for v, pick, many in picks)
            for bias, scale, row in zip(self.biases, self.scales, self._rows, strict=True)
        ]


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
