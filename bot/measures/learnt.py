"""The two learnt models the ranking reads (学出来的两个模型): whether a question has a measure that answers it
(topicality.py) and which measure its wording points to (measure_classifier.py).

In the chat they are the shipped models. While the decision and the order are fitted (scripts/fit_measures_decline.py,
fit_measures_order.py) a question must get what a new writer's question gets: the outputs of models that never learnt
from it. Since session 25 the shipped models learn from every batch read, so the fits ask each batch under models
trained without it (``build_classifiers.fold_models``), set here for the while (``models_in_use``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from bot.measures.measure_classifier import MeasureClassifier, load_measure_classifier
from bot.measures.topicality import Topicality, load_topicality


@dataclass(frozen=True)
class LearntModels:
    """The wording model and the measure classifier, as the ranking reads them together."""

    topicality: Topicality
    classifier: MeasureClassifier


@cache
def shipped_models() -> LearntModels:
    """The models in ``data/`` (loaded once, for both indexes)."""
    return LearntModels(load_topicality(), load_measure_classifier())


_set_for_a_while: list[LearntModels] = []


def learnt_models() -> LearntModels:
    """The models the ranking reads now: the shipped ones unless a fit has set others."""
    return _set_for_a_while[-1] if _set_for_a_while else shipped_models()


@contextmanager
def models_in_use(models: LearntModels) -> Iterator[None]:
    """Read ``models`` instead of the shipped ones inside the block (fitting scripts only: not thread-safe)."""
    _set_for_a_while.append(models)
    try:
        yield
    finally:
        _set_for_a_while.pop()
