"""English questions as index terms: lower-cased word tokens, stop words removed, light stems, one-edit typo
correction and the synonym table, on the ``Query`` that the Chinese analyser (``analysis.py``) fills too."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.measures.analysis import (
    EN_STOPWORDS,
    FUZZY_WEIGHT,
    ROLE_WEIGHT,
    SYNONYM_WEIGHT,
    Query,
    normalize,
)
from bot.measures.roles import EN_TOKEN, en_role_span

_EN_WORD = re.compile(r"[a-z0-9]+")


# Derivational endings of longer words: the noun or adverb counts as its verb or adjective.
_EN_DERIVED = re.compile(r"(?<=[a-z]{4})(?:ments?|ness|ly|(?<=t)ions?|(?<=is)ations?)$")


def en_stem(word: str) -> str:
    """A light stemmer: possessives, British/American -ise/-ize, plurals, -ing, -ed."""
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    w = re.sub(r"iz(e|es|ed|ing|ation|ations)$", r"is\1", w)
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
            w = w[:-1]
    elif w.endswith("ed") and len(w) > 4 and not w.endswith("eed"):
        w = w[:-2]
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
            w = w[:-1]
    w = _EN_DERIVED.sub("", w) if len(w) > 7 else w  # "appointment" -> "appoint", "inspection" -> "inspect"
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]  # "serve"/"serving" -> "serv", "guide"/"guiding" -> "guid"
    return w


class EnglishAnalyzer:
    """Lower-cased word tokens, stop words removed, light stems; one-edit typo correction."""

    def __init__(self, synonyms: dict[str, list[str]], roles: bool = True) -> None:
        self.roles = roles  # the asker's role introducing a question counts ROLE_WEIGHT
        self.synonyms = sorted(
            ((re.compile(rf"(?<![a-z0-9]){re.escape(normalize(k))}(?![a-z0-9])"), v) for k, v in synonyms.items()),
            key=lambda kv: -len(kv[0].pattern),
        )
        # Each form's position in that order, by its first word: a question tries only the forms whose first word
        # it has (about 500 forms: trying each costs 1 ms a question, these few 0.1 ms).
        self._by_first: dict[str, list[int]] = {}
        for k, (pattern, _) in enumerate(self.synonyms):
            first = _EN_WORD.search(pattern.pattern.removeprefix("(?<![a-z0-9])").replace("\\", ""))
            self._by_first.setdefault(first[0] if first else "", []).append(k)
        self.vocab: set[str] = set()
        self._deletes: dict[str, set[str]] = {}

    def set_vocabulary(self, vocab: Iterable[str]) -> None:
        """Tell the analyser which stems the index knows, for typo correction."""
        self.vocab = set(vocab)
        self._deletes = {}
        for w in self.vocab:
            if len(w) >= 4 and w.isalpha():
                for i in range(len(w)):
                    self._deletes.setdefault(w[:i] + w[i + 1 :], set()).add(w)

    def normalize(self, text: str) -> str:
        """NFKC and lower case."""
        return normalize(text)

    def _tokens(self, text: str) -> list[str]:
        return [t for t in EN_TOKEN.findall(text) if t not in EN_STOPWORDS]

    def words(self, text: str) -> list[str]:
        """Stems of the content words."""
        return [en_stem(t) for t in self._tokens(text)]

    def grams(self, text: str) -> list[str]:
        """English has no bigram field."""
        return []

    def _correct(self, stem: str) -> set[str]:
        """Known stems one deletion, insertion or substitution away from an unknown stem."""
        if stem in self.vocab or len(stem) < 5 or not stem.isalpha():
            return set()
        out = set(self._deletes.get(stem, ()))  # the member left a letter out
        for i in range(len(stem)):
            d = stem[:i] + stem[i + 1 :]
            if d in self.vocab:
                out.add(d)  # an extra letter
            out |= self._deletes.get(d, set())  # a wrong letter
        return out

    def query(self, question: str) -> Query:
        """Weighted stems of a question, with synonym and typo expansion."""
        text = normalize(question)
        words = self.words(text)
        q = Query(content=tuple(dict.fromkeys(words)))
        role = en_role_span(text) if self.roles else None
        if role is not None:
            # The asker's role counts less, as in Chinese: who asks is not what the question is about.
            inside = self.words(text[role[0] : role[1]])
            q.add([w for w in words if w not in inside], (), 1.0)
            q.add(inside, (), ROLE_WEIGHT)
        else:
            q.add(words, (), 1.0)
        rest = text
        present = {"", *_EN_WORD.findall(text)}
        for k in sorted(k for w in present for k in self._by_first.get(w, ())):
            pattern, targets = self.synonyms[k]
            m = pattern.search(rest)
            if m:
                q.fired.append(m.group(0))
                rest = pattern.sub(" ", rest)
                for target in targets:
                    q.add(self.words(normalize(target)), (), SYNONYM_WEIGHT)
        for w in words:
            corrected = self._correct(w)
            if corrected:
                q.fired.append(w)
                q.add(corrected, (), FUZZY_WEIGHT)
        return q

    def surface_terms(self, text: str, terms: Iterable[str]) -> tuple[str, ...]:
        """The words of ``text`` whose stem is one of ``terms``, as written there, longest first."""
        wanted = set(terms)
        found = {t for t in EN_TOKEN.findall(normalize(text)) if t not in EN_STOPWORDS and en_stem(t) in wanted}
        return tuple(sorted(found, key=lambda t: (-len(t), t)))
