"""The parts of the measures' ranking that the benchmark's ablation switches off one at a time
(``bench_measures.py --ablation``): their names, and the set of those switched off now (empty when the bot runs).

The set is one object, shared: ``search.DISABLED`` is this set, so the benchmark's changes reach every index built
after them.
"""

from __future__ import annotations

ABLATABLE = (
    "synonyms", "thesaurus", "structure", "cilin", "anchors", "semantic", "lexicon", "vectors", "en_roles",
    "situations", "glossary", "written-r6",  # round 6: situations.json, glossary.en.json, its written questions
    "everyday",  # round 7: everyday.json (English glossary, situations in both languages)
    "written-r8",  # round 8: its written questions (off-topic Party business, office and life; roles and situations)
    "meaning",  # round 9: multilingual-e5-small distilled into static word vectors (meaning.py), both languages
    "written-r11", "written-r12", "written-r13", "written-r14",  # rounds 11-14: 2,200, 3,900, 1,900, 2,000 more
    "written-r15", "written-r16", "written-r19",  # rounds 15, 16, 19: 2,000, 1,150, 1,300 more
    "written-r23", "written-r25",  # rounds 23 and 25: 900 and 1,000 more, from writers who had not read the notice
    "pinyin",  # round 15: Party terms typed in pinyin in an English question (pinyin_terms.py)
    "asides",  # round 20: small talk and questions on the assistant's own features (asides.py)
    "slips",  # session 16: a question with a sure slip of typing read as spelt right (analysis.corrected)
    "topicality",  # session 17: the question's wording, learnt from labelled questions (topicality.py); session 23: a
    # signal of the regression rather than a move of its bar
    "classifier",  # session 17: … and reorders the three measures ranked best (measure_classifier.py); session 23: its
    # logits are signals of the decision and of the order (order.py); session 24: its two best are candidates too
    "schedule",  # session 32: the notice's calendar asked for as a list (schedule.py)
)  # fmt: skip
DISABLED: set[str] = set()  # what is switched off now: nothing, but in the ablation
