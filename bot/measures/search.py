"""Answer questions with the measures that fit: numbers first, then BM25 over texts, titles, sentences."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from bot.measures.analysis import Analyzer, ChineseAnalyzer, EnglishAnalyzer, Query, load_synonyms
from bot.measures.bm25 import BM25
from bot.measures.knowledge import MEASURE_COUNT, Measure, Notice, Section, load_notice
from bot.measures.numbers import find_measure_number

MAX_QUESTION_CHARS = 500  # longer input is a pasted document, not a question
NUMBER_SCORE = 100.0  # the score of a measure asked for by its number: above any text match
MAX_SENTENCES = 3
QUOTE_SHARE = 0.5  # a sentence is quoted when it matches at least half as well as the best one
WEAK_IDF = 0.3  # a term in more than about three measures in four (Party, 党员) is bold only beside a rarer one

# Field weights and the confidence threshold, tuned on benchmarks/measures_eval.jsonl (see the report there).
GRAM_WEIGHT = 0.35  # character bigrams catch partial words and typos but are noisy
TITLE_WEIGHT = 0.6  # the lead title says what the measure is about
SENTENCE_WEIGHT = 0.8  # one sentence that matches the whole question beats scattered words
COORD_WEIGHT = 0.5  # how much the share of matched question words scales the score
MIN_SCORE = 3.0  # below this the best match is a guess: answer "don't know"
MIN_COVERAGE = 0.4  # share of the question's own content (by idf) that the index knows
RELATIVE_CUTOFF = 0.3  # further hits must score at least this share of the best one


@dataclass(frozen=True)
class Hit:
    """A measure that answers the question, its score, the sentences that matched and the matched terms."""

    measure: Measure
    score: float
    sentences: tuple[str, ...]
    terms: tuple[str, ...]
    weak: tuple[str, ...] = ()  # those of ``terms`` so common in the measures that alone they are not bold


@dataclass(frozen=True)
class Answer:
    """The result for one question; ``hits`` is empty when the index does not know."""

    question: str
    hits: tuple[Hit, ...]
    number_requested: int | None = None
    out_of_range: int | None = None
    too_long: bool = False
    no_words: bool = False  # nothing to search for: empty, one character, emoji or punctuation only
    lang: str = "zh"  # the language of the index that answered (of the quotes and titles)

    @property
    def known(self) -> bool:
        """True when there is at least one hit."""
        return bool(self.hits)


class MeasureIndex:
    """The searchable measures of one language."""

    def __init__(self, notice: Notice, analyzer: Analyzer) -> None:
        self.notice = notice
        self.lang = notice.lang
        self.analyzer = analyzer
        measures = notice.measures
        self._norm_text = [analyzer.normalize(m.text) for m in measures]
        self._words = BM25([analyzer.words(t) for t in self._norm_text])
        self._grams = BM25([analyzer.grams(t) for t in self._norm_text])
        self._titles = BM25([analyzer.words(analyzer.normalize(m.title)) for m in measures])
        self._sentences: list[tuple[int, str]] = [(i, s) for i, m in enumerate(measures) for s in m.sentences]
        norm_sents = [analyzer.normalize(s) for _, s in self._sentences]
        self._sent_words = BM25([analyzer.words(s) for s in norm_sents])
        self._sent_grams = BM25([analyzer.grams(s) for s in norm_sents])
        if isinstance(analyzer, EnglishAnalyzer):
            analyzer.set_vocabulary(self._words.idf)
        if isinstance(analyzer, ChineseAnalyzer):
            analyzer.set_text(self._norm_text)
        self._max_idf = max(self._words.idf.values())

    @property
    def sections(self) -> tuple[Section, ...]:
        """The 7 sections with their measures."""
        return self.notice.sections

    def measure(self, number: int) -> Measure | None:
        """The measure with this number, or None."""
        return self.notice.measure(number)

    def answer(self, question: str, top: int = 3) -> Answer:
        """Answer: the measure asked for by number, or up to ``top`` ranked measures, or nothing."""
        lang = self.lang
        if not isinstance(question, str) or not question.strip():
            text = question if isinstance(question, str) else ""
            return Answer(question=text, hits=(), no_words=True, lang=lang)
        if len(question) > MAX_QUESTION_CHARS:
            return Answer(question=question, hits=(), too_long=True, lang=lang)
        ref = find_measure_number(question)
        if ref is not None:
            measure = self.measure(ref.number)
            if measure is None:
                return Answer(question, (), number_requested=ref.number, out_of_range=ref.number, lang=lang)
            norm = self.analyzer.normalize(question)
            rest = norm[: ref.span[0]] + " " + norm[ref.span[1] :]
            q = self.analyzer.query(rest)
            hit = self._hit(measure.number - 1, NUMBER_SCORE, q)
            return Answer(question=question, hits=(hit,), number_requested=ref.number, lang=lang)
        q = self.analyzer.query(question)
        if not q.words and not q.grams:
            return Answer(question=question, hits=(), no_words=True, lang=lang)
        return Answer(question=question, hits=self._search(q, top), lang=lang)

    def search(self, question: str, top: int = 3) -> tuple[Hit, ...]:
        """Ranked measures for free text (no number resolution); empty below the confidence threshold."""
        return self._search(self.analyzer.query(question), top)

    def _search(self, q: Query, top: int) -> tuple[Hit, ...]:
        if top <= 0 or (not q.words and not q.grams):
            return ()
        if self._coverage(q) < MIN_COVERAGE:
            return ()
        scores = self._score(q)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked or ranked[0][1] < MIN_SCORE:
            return ()
        best = ranked[0][1]
        hits = []
        for i, score in ranked[:top]:
            if score < best * RELATIVE_CUTOFF:
                break
            hits.append(self._hit(i, round(score, 3), q))
        return tuple(hits)

    def _coverage(self, q: Query) -> float:
        """Share of the question's own content words (weighted by idf) that occur in the measures at all.

        Questions about something else ("今天天气怎么样") consist of words the measures never use; a stray
        common word they share must not turn them into a confident answer.
        """
        if not q.content:
            return 1.0 if q.grams else 0.0
        total = known = 0.0
        for w in q.content:
            idf = self._words.idf.get(w)
            total += idf if idf is not None else self._max_idf
            known += idf or 0.0
        # A word the member wrote that the synonym table or typo correction maps into the text counts too.
        mapped = sum(1 for w in q.content if w not in self._words and q.explained(w))
        return (known + mapped * self._max_idf) / total if total else 0.0

    def _score(self, q: Query) -> dict[int, float]:
        scores: dict[int, float] = {}
        for i, s in self._words.scores(q.words).items():
            scores[i] = scores.get(i, 0.0) + s
        for i, s in self._grams.scores(q.grams).items():
            scores[i] = scores.get(i, 0.0) + GRAM_WEIGHT * s
        for i, s in self._titles.scores(q.words).items():
            scores[i] = scores.get(i, 0.0) + TITLE_WEIGHT * s
        best_sentence: dict[int, float] = {}
        sent_scores = self._sent_words.scores(q.words)
        for j, s in self._sent_grams.scores(q.grams).items():
            sent_scores[j] = sent_scores.get(j, 0.0) + GRAM_WEIGHT * s
        for j, s in sent_scores.items():
            i = self._sentences[j][0]
            if s > best_sentence.get(i, 0.0):
                best_sentence[i] = s
        for i, s in best_sentence.items():
            scores[i] = scores.get(i, 0.0) + SENTENCE_WEIGHT * s
        # Coordination: a measure that matches more of the question's words is the better answer, even when
        # another measure repeats one of them more often ("会计和出纳能不能是同一个人": 会计 + 出纳
        # beat 同一).
        total = sum(q.words.values())
        if total and COORD_WEIGHT:
            matched: dict[int, float] = {}
            for term, weight in q.words.items():
                for i, _ in self._words.postings.get(term, ()):
                    matched[i] = matched.get(i, 0.0) + weight
            for i in scores:
                coord = min(1.0, matched.get(i, 0.0) / total)
                scores[i] *= 1.0 - COORD_WEIGHT + COORD_WEIGHT * coord
        return scores

    def _hit(self, i: int, score: float, q: Query) -> Hit:
        sentences, terms = self._matched(i, q)
        weak = tuple(t for t in terms if self._is_weak(t))
        return Hit(self.notice.measures[i], score, sentences, terms, weak)

    def _is_weak(self, term: str) -> bool:
        """True for a term (as written in the text) whose index terms all occur in most measures."""
        keys = self.analyzer.words(self.analyzer.normalize(term)) or [self.analyzer.normalize(term)]
        return all(self._words.idf.get(k, 0.0) < WEAK_IDF for k in keys)

    def _matched(self, i: int, q: Query) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The best-matching sentences of measure ``i`` (in text order) and the terms to bold in them.

        Only sentences that match at least ``QUOTE_SHARE`` as well as the best one are quoted: a sentence that
        merely repeats a common word of the question is noise beside the one that answers it.
        """
        measure = self.notice.measures[i]
        if not q.words and not q.grams:
            return (), ()
        first = next(j for j, (m, _) in enumerate(self._sentences) if m == i)
        scored = []
        for k, sentence in enumerate(measure.sentences):
            j = first + k
            s = self._sent_words.score(q.words, j) + GRAM_WEIGHT * self._sent_grams.score(q.grams, j)
            if s > 0:
                scored.append((s, k, sentence))
        best = sorted(scored, key=lambda t: (-t[0], t[1]))[:MAX_SENTENCES]
        best = [t for t in best if t[0] >= QUOTE_SHARE * best[0][0]]
        sentences = tuple(s for _, _, s in sorted(best, key=lambda t: t[1]))
        terms = self.analyzer.surface_terms(" ".join(sentences) or measure.text, q.words)
        return sentences, terms


_BOLD_GAP = re.compile(r"[\s-]*")


def highlight(sentence: str, terms: Iterable[str], weak: Iterable[str] = ()) -> list[tuple[str, bool]]:
    """Split ``sentence`` into (segment, bold) parts, bold where a term occurs (longest match, any case).

    A ``weak`` term (one found in most measures, such as "Party") is bold only next to a bold term, so that
    "Party dues" is bold as one phrase while "Party" alone is not. Bold matches separated only by spaces or
    hyphens become one bold segment. The chat layer HTML-escapes each segment and wraps the bold ones in
    <b>; the segments join back to the sentence.
    """
    weak_set = {t.lower() for t in weak}
    alternatives = []
    for t in sorted({t for t in terms if t and t.strip()}, key=len, reverse=True):
        pattern = re.escape(t)
        if re.fullmatch(r"[\w'-]+", t, flags=re.ASCII):
            pattern = rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])"  # whole English words only
        alternatives.append(pattern)
    if not sentence:
        return []
    if not alternatives:
        return [(sentence, False)]
    spans = [
        (m.start(), m.end(), m.group(0).lower() not in weak_set)
        for m in re.finditer("|".join(alternatives), sentence, flags=re.IGNORECASE)
    ]

    def touches(a: tuple[int, int, bool], b: tuple[int, int, bool]) -> bool:
        return bool(_BOLD_GAP.fullmatch(sentence[a[1] : b[0]]))

    # A weak match next to a strong one (either side, through a chain of weak ones) is bold too.
    strong = [s[2] for s in spans]
    for order in (range(1, len(spans)), range(len(spans) - 2, -1, -1)):
        for k in order:
            j = k - 1 if order.step == 1 else k + 1
            if not strong[k] and strong[j] and touches(*sorted((spans[j], spans[k]))):
                strong[k] = True
    bold = [(a, b) for (a, b, _), keep in zip(spans, strong, strict=True) if keep]
    merged: list[list[int]] = []
    for a, b in bold:
        if merged and _BOLD_GAP.fullmatch(sentence[merged[-1][1] : a]):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out: list[tuple[str, bool]] = []
    pos = 0
    for a, b in merged:
        if a > pos:
            out.append((sentence[pos:a], False))
        out.append((sentence[a:b], True))
        pos = b
    if pos < len(sentence):
        out.append((sentence[pos:], False))
    return out


_lock = threading.Lock()
_indexes: dict[str, MeasureIndex] = {}


def build_index(lang: str = "zh") -> MeasureIndex:
    """Build a fresh index for ``lang`` (use get_index for the shared, cached one)."""
    notice = load_notice(lang)
    synonyms = load_synonyms(lang)
    analyzer: Analyzer = ChineseAnalyzer(synonyms) if lang == "zh" else EnglishAnalyzer(synonyms)
    index = MeasureIndex(notice, analyzer)
    if len(index.notice.measures) != MEASURE_COUNT:
        raise RuntimeError("the measures data is incomplete")
    return index


def index_language(lang: str | None) -> str:
    """The index for a locale code: "en" for English ones ("en", "en-US"), "zh" for anything else."""
    return "en" if lang and lang.lower().startswith("en") else "zh"


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]")


def question_language(question: str, default: str | None = "zh") -> str:
    """The language a question is written in: "zh" when it has Chinese characters (mixed questions too),
    "en" when it has Latin letters and none, else (digits, emoji) the reader's language ``default``."""
    if _CJK.search(question):
        return "zh"
    if _LATIN.search(question):
        return "en"
    return index_language(default)


def ask(question: str, locale: str | None = "zh", top: int = 3) -> Answer:
    """Answer a question from someone who reads ``locale``, with the index of the language it is written in.

    A Chinese question from an English-locale member is answered from the official Chinese text, an English
    question from a Chinese-locale member from the unofficial English rendering; ``Answer.lang`` says which.
    """
    return get_index(question_language(question, locale)).answer(question, top=top)


def get_index(lang: str = "zh") -> MeasureIndex:
    """The index for ``lang`` ("zh" or "en"; other codes such as "zh_CN", "en-US" are mapped), built once."""
    key = index_language(lang)
    index = _indexes.get(key)
    if index is None:
        with _lock:
            index = _indexes.get(key)
            if index is None:
                index = _indexes[key] = build_index(key)
    return index
