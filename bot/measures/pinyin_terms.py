"""Party terms typed in pinyin in an English question ("yi gang shuang ze", "sanhui yike", "dangfei").

A member without a Chinese keyboard, or a translator who knows the term but not its English rendering, spells the
Chinese term in pinyin; the English index knows neither the syllables nor the term, and the question was declined.
Each run of Latin words that spells a term of the Party dictionary (``data/dict.txt``, with a few everyday words of
branch work) is replaced by the term, and the question, now mixed, is answered from the Chinese text, as a mixed
question typed with the characters is (``search.question_language``).

Only whole words match, and a run of English words alone ("can he", "long ban") never does: at least one word of
the run must be no English word the index knows (see ``spell_terms``).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import product

from bot.measures.analysis import EN_STOPWORDS, EVERYDAY_TERMS, load_pinyin, party_terms
from bot.measures.knowledge import load_notice

MAX_WORDS = 8  # the longest run looked at (san hui yi ke: four words; zhong da shi xiang qing shi bao gao: eight)
MIN_LETTERS = 6  # shorter runs ("dang", "ban") are as often English or names as pinyin
MAX_READINGS = 16  # a term with many polyphones keeps this many of its spellings
_WORD = re.compile(r"[a-z]+")


@cache
def term_spellings() -> dict[str, str]:
    """Pinyin without tones or spaces -> the term it spells (党费: dangfei), for the Party dictionary's terms."""
    pinyin = load_pinyin()
    spellings: dict[str, str] = {}
    for term in sorted({*party_terms(), *EVERYDAY_TERMS}, key=lambda t: (len(t), t)):
        readings = [pinyin.get(c) for c in term]
        if len(term) < 2 or any(not r for r in readings):
            continue
        for i, syllables in enumerate(product(*readings)):  # type: ignore[arg-type]
            if i == MAX_READINGS:
                break
            spellings.setdefault("".join(syllables), term)  # the shorter term keeps a shared spelling
    return spellings


@cache
def english_words() -> frozenset[str]:
    """The words of the notice's English rendering and the stop words: a run of them only is English, not pinyin."""
    notice = load_notice("en")
    text = " ".join([notice.title, *(m.text for m in notice.measures), *(s.title for s in notice.sections)])
    return frozenset(_WORD.findall(text.lower())) | EN_STOPWORDS


def spell_terms(question: str) -> str | None:
    """``question`` with each run of words that spells a Party term in pinyin replaced by the term, or None when it
    has none."""
    lowered = question.lower()
    if len(lowered) != len(question):  # a letter whose lower case is longer: keep the positions right
        question = lowered
    known = english_words()
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(lowered)]
    spellings = term_spellings()
    out: list[str] = []
    done = 0  # how much of the question is copied or replaced
    i = 0
    while i < len(words):
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):  # the longest run first
            run = words[i : i + n]
            joined = "".join(w for _, _, w in run)
            term = spellings.get(joined) if len(joined) >= MIN_LETTERS else None
            if term and any(w not in known for _, _, w in run):
                out += [question[done : run[0][0]], term]
                done = run[-1][1]
                i += n
                break
        else:
            i += 1
    if not out:
        return None
    return "".join([*out, question[done:]])
