"""Okapi BM25 over pre-tokenised documents; an inverted index makes a query cost only its postings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence


def best_first(scores: Mapping[int, float]) -> list[int]:
    """The measures' indexes by score, best first; of two alike, the lower index (the earlier measure) first. The one
    order of the ranking, the decision and the word vectors' candidates, so that they agree on ties."""
    return sorted(scores, key=lambda i: (-scores[i], i))


class BM25:
    """Okapi BM25 with the always-positive idf ``ln(1 + (N - df + 0.5) / (df + 0.5))`` (as in Lucene).

    The classic ``ln((N - df + 0.5) / (df + 0.5))`` goes negative for terms in over half of the documents;
    with only 32 measures that happens to words like 党员 and would punish a measure for containing them.
    """

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.n_docs = len(docs)
        self.doc_len = [len(d) for d in docs]
        self.avgdl = (sum(self.doc_len) / self.n_docs) if self.n_docs else 0.0
        df: Counter[str] = Counter()
        counts = [Counter(d) for d in docs]
        for c in counts:
            df.update(c.keys())
        self.idf: dict[str, float] = {t: math.log(1.0 + (self.n_docs - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        # Postings carry the precomputed tf part, so scoring is one multiply-add per posting.
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for i, c in enumerate(counts):
            norm = k1 * (1.0 - b + b * (self.doc_len[i] / self.avgdl if self.avgdl else 0.0))
            for t, tf in c.items():
                self.postings.setdefault(t, []).append((i, tf * (k1 + 1.0) / (tf + norm)))

    def __contains__(self, term: object) -> bool:
        return term in self.idf

    def scores(self, query: Mapping[str, float]) -> dict[int, float]:
        """Score every document that shares a term with ``query`` (term -> query weight)."""
        acc: dict[int, float] = {}
        for term, weight in query.items():
            postings = self.postings.get(term)
            if not postings:
                continue
            w = weight * self.idf[term]
            for doc, part in postings:
                acc[doc] = acc.get(doc, 0.0) + w * part
        return acc

    def score(self, query: Mapping[str, float], doc: int) -> float:
        """The score of one document (0 when it shares no term)."""
        return self.scores(query).get(doc, 0.0)
