"""Turning text into index terms: jieba words and character bigrams for Chinese (light stems for English are
``english.py``'s, on the same ``Query``).

Each analyser also expands questions with the synonym table (colloquial forms -> words of the text) and with
fuzzy matches of known terms: one wrong character or letter, as typed in a hurry, and in Chinese a homophone
typed with a pinyin keyboard (党废 -> 党费, 支布 -> 支部).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from bot.measures.roles import CJK_RUN, role_span

if TYPE_CHECKING:
    import jieba


def import_jieba() -> ModuleType:
    """jieba, imported when a tokenizer is first made (not when the bot imports its handlers: the index is loaded
    after the bot's first getUpdates).

    jieba 0.42 imports pkg_resources (setuptools' resource API: about 0.2 s) only to open its bundled dictionary and
    models, which it can open without it and which this module does not use (the tokenizer is built from
    data/jieba_base.txt). So it is imported with pkg_resources marked missing, unless that is loaded already."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
    else:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # "import pkg_resources" raises ImportError
        try:
            import jieba
        finally:
            if sys.modules.get("pkg_resources", 0) is None:
                del sys.modules["pkg_resources"]
    # jieba logs "Building prefix dict ..." at DEBUG to stderr; keep only its warnings.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


SYNONYM_WEIGHT = 0.9  # an expansion counts a little less than the member's own word
FUZZY_WEIGHT = 0.7  # a corrected typo counts less again
SUBWORD_WEIGHT = 0.6  # the words inside a question's word that the measures' text does not use (第一项议程: 第一, 议程)
CILIN_WEIGHT = 0.5  # a general-language synonym (同义词词林) may be another sense of the word: counts least
USER_WORD_FREQ = 30000

_ZH_KEEP = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff0-9a-z]")
# "2021—2023年": the years in between are meant too ("2022年的主题").
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[—–~\-至到]+\s*((?:19|20)\d\d)(?!\d)")
MAX_YEAR_SPAN = 10
# "22年" in a question is the year 2022.
_SHORT_YEAR = re.compile(r"(?<![\d.])(2\d)(?=年(?!代|级|底前|以[上下内来]|[内来多]))")
# "入党五周年" / "入党10周年": the anniversary of joining, whichever year (the synonym table knows 入党周年).
_ANNIVERSARY = re.compile(r"入党(?:第)?[0-9一二三四五六七八九十两]+(?:个)?周年")
MAX_HOMOPHONE_KEYS = 16  # readings of a term, all combinations of its characters' readings, at most this many
ROLE_WEIGHT = 0.4  # the asker's own role ("我是组织委员，…") says who asks, not what about


def years_between(text: str) -> list[str]:
    """The years strictly inside each range of years in ``text`` ("2021—2023年" -> ["2022"])."""
    out: list[str] = []
    for m in _YEAR_RANGE.finditer(text):
        first, last = int(m.group(1)), int(m.group(2))
        if 0 < last - first <= MAX_YEAR_SPAN:
            out.extend(str(y) for y in range(first + 1, last))
    return out


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(w for line in lines for w in line.split())


ZH_STOPWORDS = _word_set(
    "的 了 吗 呢 啊 吧 呀 嘛 么 是 在 有 和 与 及 或 要 会 能 可以 可 怎么",
    "怎样 怎么样 如何 什么 啥 哪些 哪个 哪里 哪儿 谁 几 多少 为什么 请问 一下 我",
    "我们 你 你们 他 她 它 他们 这 那 这个 那个 这些 那些 就 都 也 还 又 对",
    "把 被 给 让 从 到 向 应该 应当 需要 必须 规定 哪条 条 项 措施 能不能",
    "要不要 是不是 有没有 一个 问 请 下 个 上 中 等 方面 情况 相关 关于 之 其",
    "以 为 于 而 并 按照 进行 开展 加强 落实 工作 推动 推进 深入 坚持 积极 切实",
    "认真 不断 进一步 做好 搞 弄 做",
    # colloquial function words of questions
    "着 过 得 地 哦 呗 嘛 么 干嘛 干啥 干什么 用来 用于 一直 一般 平时 现在 已经 一定 可能 是否 能否",
    "还是 或者 需不需要 用不用 行不行 好不好 对不对 不要 不用 不能 没有 多久 多长 时间 一次",
)

EN_STOPWORDS = _word_set(
    "a an the of to in on for and or nor is are am be been being was were do does did done what",
    "which who whom whose how when where why must should shall can could may might will would i",
    "we you he she they it its my our your their me us them this that these those with by at",
    "from as about have has had there here any all some often much many need needs needed get",
    "gets got say says said tell told than then so if not but also into onto out up down over",
    "under please want know let make makes made one ones such each every other own same just",
    "only very s t don doesn isn aren wasn weren what's who's whats required requirement",
    "requirements rule rules regulation",
    # round 7: words that only frame a question ("is there anything in the notice about …", "what happens now")
    "anything something everything anyone someone nothing notice measure measures article whether instead even",
    "really actually actual still already lately now ok okay sure supposed happen happens happened mean means",
    "meant seem seems seemed mention mentions mentioned regarding across normally usually generally",
    # contractions, as typed with either apostrophe
    *(
        f"{w} {w.replace(chr(39), chr(8217))}"
        for w in (
            "i'm i've we're we've they're they've it's that's there's who've isn't aren't don't doesn't didn't can't",
            "won't wouldn't shouldn't couldn't haven't hasn't let's",
        )
    ),
)


@dataclass
class Query:
    """A question turned into weighted terms per field, plus the words that may be shown in bold."""

    words: dict[str, float] = field(default_factory=dict)
    grams: dict[str, float] = field(default_factory=dict)
    content: tuple[str, ...] = ()  # the member's own content words, before any expansion
    fired: list[str] = field(default_factory=list)  # parts of the question that a synonym or typo rule mapped
    # Sure slips of typing (主体党日 for 主题党日, 入党誓辞 for 入党誓词): a part of the (normalised) question that is
    # no word at all and one character away from exactly one term; see ``corrected``.
    slips: dict[str, str] = field(default_factory=dict)

    def explained(self, word: str) -> bool:
        """True when a synonym or typo rule fired on (part of) this content word.

        Chinese words count as explained when they share two characters in a row with a fired part, since
        segmentation may cut across it ("做志愿者" -> 做志愿 / 者 while the rule fired on 志愿者).
        """
        for f in self.fired:
            if word in f or f in word:
                return True
            if not word.isascii() and any(word[i : i + 2] in f for i in range(len(word) - 1)):
                return True
        return False

    def add(self, words: Iterable[str], grams: Iterable[str], weight: float) -> None:
        """Add terms, keeping the highest weight a term was given."""
        for t in words:
            if self.words.get(t, 0.0) < weight:
                self.words[t] = weight
        for g in grams:
            if self.grams.get(g, 0.0) < weight:
                self.grams[g] = weight


class Analyzer(Protocol):
    """What the index needs from a language's analyser."""

    def normalize(self, text: str) -> str: ...

    def words(self, text: str) -> list[str]: ...

    def grams(self, text: str) -> list[str]: ...

    def query(self, question: str) -> Query: ...

    def surface_terms(self, text: str, terms: Iterable[str]) -> tuple[str, ...]: ...


def corrected(question: str, q: Query) -> str | None:
    """``question`` (normalised) with the sure slips of ``q`` (its query) put right, or None when it has none.

    The ranking already weighs the term a slip stands for; the models that read the question's own words (the
    n-gram and vector models, and the decision to answer) do not, and declined a typed question they answer
    when it is spelt right (6.7 % of the answerable questions with a typo in batches 42-57, 2.5 % of the rest)."""
    if not q.slips:
        return None
    text = normalize(question)
    for typo in sorted(q.slips, key=len, reverse=True):
        text = text.replace(typo, q.slips[typo])
    return text


def _data_text(name: str) -> str:
    return resources.files("bot.measures").joinpath("data", name).read_text("utf-8")


# Everyday words of branch work that are not Party terms of the dictionary but are typed in pinyin (or mistyped) just
# as often.
EVERYDAY_TERMS = ("党员", "支部", "书记", "党建", "党日", "党小组", "支委", "党委", "党组", "党课", "入党", "转正")
# Characters that carry the sentence on (的, 是, 给 …): beside a term they are the grammar, not a slip of it ("会给" is
# not 会计, "条里" not 条例).
_FUNCTION_CHARACTERS = frozenset("的地得了着过是有在和与跟给他她它们这那里上下也都就还又会要能可以一个些吗呢吧啊么")


def party_terms() -> frozenset[str]:
    """The terms of the Party dictionary (``data/dict.txt``)."""
    return frozenset(line.split()[0] for line in _data_text("dict.txt").splitlines() if line.strip())


def load_pinyin() -> dict[str, tuple[str, ...]]:
    """Character -> its toneless readings (``data/pinyin.txt``, built offline by scripts/build_pinyin_table.py)."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _data_text("pinyin.txt").splitlines():
        char, *readings = line.split()
        table[char] = tuple(readings)
    return table


def load_synonyms(lang: str, glossary: bool = True, everyday: bool = True) -> dict[str, list[str]]:
    """The synonym table of a language: colloquial form -> words of the text it stands for; in English with the
    glossary of everyday words for the rendering's terms (``data/glossary.en.json``, round 6; ``everyday.json``'s,
    round 7) unless ``glossary`` / ``everyday`` is False."""
    table: dict[str, list[str]] = json.loads(_data_text("synonyms.json"))[lang]
    more = [json.loads(_data_text("glossary.en.json"))["en"]] if glossary and lang == "en" else []
    more += [json.loads(_data_text("everyday.json"))["glossary"]["en"]] if everyday and lang == "en" else []
    return {k: v for t in (table, *more) for k, v in t.items()}


def load_concepts(lang: str, situations: bool = True, everyday: bool = True) -> list[list[str]]:
    """The domain thesaurus (``data/concepts.json``; with ``situations``, ``data/situations.json`` too, with
    ``everyday`` round 7's situations in ``data/everyday.json``): for measure 1..32, everyday terms of what it is
    about (Chinese: terms; English: one string of words per measure)."""
    table, more = (json.loads(_data_text(f))[lang] for f in ("concepts.json", "situations.json"))
    extra = [more] if situations else []
    extra += [json.loads(_data_text("everyday.json"))["situations"][lang]] if everyday else []
    if lang == "zh":
        return [[*table[str(n)], *(t for e in extra for t in e.get(str(n), []))] for n in range(1, len(table) + 1)]
    return [[" ".join([table[str(n)], *(e.get(str(n), "") for e in extra)]).strip()] for n in range(1, len(table) + 1)]


def load_cilin() -> dict[str, tuple[str, ...]]:
    """Word -> words of the measures it may stand for (``data/cilin.txt``, extracted from 同义词词林 offline)."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _data_text("cilin.txt").splitlines():
        if line and not line.startswith("#"):
            word, *targets = line.split()
            table[word] = tuple(targets)
    return table


def normalize(text: str) -> str:
    """NFKC (full-width forms to ASCII), lower case, and traditional characters as simplified (黨員 -> 党员)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text if text.isascii() or simplified_standard(text) else text.translate(_traditional())


def simplified_standard(text: str) -> bool:
    """True when every character of ``text`` is in GB2312, the simplified standard: it has no traditional character
    (``data/traditional.txt`` keeps only characters outside it)."""
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _traditional() -> dict[int, int]:
    """Traditional characters to simplified (``data/traditional.txt``, from OpenCC offline), one for one, so that spans
    found on the normalised text are where they were. Read only when a text has a character outside GB2312: a
    simplified question never costs its 0.5 MB."""
    body = _data_text("traditional.txt").split("\n", 1)[1]  # after the header, lines of "T S"
    return str.maketrans(body[0::4], body[2::4])


def _new_tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer on the reduced base dictionary plus the Party terms, without jieba's disk cache."""
    tk = import_jieba().Tokenizer()
    base = resources.files("bot.measures").joinpath("data", "jieba_base.txt")
    with base.open("rb") as f:
        # initialize() would read the dictionary through a pickle cache in /tmp; building the prefix
        # dictionary of the reduced file directly is faster than that and leaves nothing behind.
        tk.FREQ, tk.total = tk.gen_pfdict(f)
    tk.initialized = True
    for line in _data_text("dict.txt").splitlines():
        parts = line.split()
        if parts:
            tk.add_word(parts[0], int(parts[1]) if len(parts) > 1 else USER_WORD_FREQ)
    return tk


class ChineseAnalyzer:
    """jieba words (search mode: long words and the shorter words inside them) and CJK character bigrams."""

    def __init__(
        self,
        synonyms: dict[str, list[str]],
        terms: Iterable[str] = (),
        cilin: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.tk = _new_tokenizer()
        for term in terms:
            # The domain thesaurus's terms segment as units ("最高等级", "换届"), like the dictionary's.
            if len(term) > 1 and CJK_RUN.fullmatch(term) and term not in self.tk.FREQ:
                self.tk.add_word(term, USER_WORD_FREQ)
        self.cilin = cilin or {}
        self._slip_terms = party_terms() | frozenset(EVERYDAY_TERMS)  # what a short slip may stand for
        self.known_words: frozenset[str] = frozenset()  # words of the index (text and thesaurus)
        self.text_words: frozenset[str] = frozenset()  # words of the measures' text
        for key in synonyms:
            # Colloquial forms become words too, so that they segment as a unit in questions.
            if len(key) > 1 and CJK_RUN.fullmatch(key) and key not in self.tk.FREQ:
                self.tk.add_word(key, USER_WORD_FREQ)
        # Longest first, so a long colloquial form expands before the short words inside it.
        self.synonyms = sorted(synonyms.items(), key=lambda kv: -len(kv[0]))
        self._synonym_table = dict(synonyms)
        self.pinyin = load_pinyin()
        self._homophones: dict[str, set[str]] = {}
        self._short_terms: frozenset[str] = frozenset()
        terms = {w for w, f in self.tk.FREQ.items() if f and len(w) >= 3 and CJK_RUN.fullmatch(w)}
        self._fuzzy = self._build_fuzzy(
            {t for t in terms if self.tk.FREQ[t] >= USER_WORD_FREQ} | {k for k in synonyms if len(k) >= 3}
        )
        self._expansion_cache: dict[str, tuple[list[str], list[str]]] = {}
        self.text_terms: frozenset[str] = frozenset()

    # Pickled by the measures' index cache (bot/measures/search.py): jieba's tokenizer holds a lock, so its
    # dictionary is kept instead and a tokenizer rebuilt around it.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        tk = state.pop("tk")
        state["_jieba_dictionary"] = (tk.FREQ, tk.total)
        state["_expansion_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        freq, total = state.pop("_jieba_dictionary")
        self.__dict__.update(state)
        self.tk = import_jieba().Tokenizer()
        self.tk.FREQ, self.tk.total = freq, total
        self.tk.initialized = True

    def set_text(self, texts: Iterable[str]) -> None:
        """Tell the analyser the (normalised) text of the measures.

        A synonym key inside a longer term of the text that the question already uses does not fire:
        "机关纪委" is the text's own word, so its "纪委" must not also pull in 纪律检查委员会.
        """
        texts = list(texts)
        joined = "\n".join(texts)
        self.text_terms = frozenset(
            w for w, f in self.tk.FREQ.items() if f >= USER_WORD_FREQ and len(w) >= 3 and w in joined
        )
        # Two- and three-character words of the text and colloquial forms: what a homophone slip may hide.
        short = {w for t in texts for w in self.words(t) if 2 <= len(w) <= 3 and CJK_RUN.fullmatch(w)}
        short |= {k for k in self._synonym_table if 2 <= len(k) <= 3 and CJK_RUN.fullmatch(k)}
        self._short_terms = frozenset(short)
        self._homophones = {}
        for term in short:
            for key in self._readings(term):
                self._homophones.setdefault(key, set()).add(term)

    def _readings(self, term: str) -> list[str]:
        """The ways ``term`` may be read ("行长": "xing zhang", "hang zhang" …); none if a character is unknown."""
        options = [self.pinyin.get(c) for c in term]
        if not all(options):
            return []
        combos = itertools.islice(itertools.product(*options), MAX_HOMOPHONE_KEYS)  # type: ignore[arg-type]
        return [" ".join(c) for c in combos]

    @staticmethod
    def _build_fuzzy(terms: Iterable[str]) -> dict[str, set[str]]:
        table: dict[str, set[str]] = {}
        for t in terms:
            if 4 <= len(t) <= 8 and CJK_RUN.fullmatch(t):
                for i in range(len(t)):
                    table.setdefault(t[:i] + "*" + t[i + 1 :], set()).add(t)
        return table

    def normalize(self, text: str) -> str:
        """NFKC and lower case."""
        return normalize(text)

    def words(self, text: str) -> list[str]:
        """Content words of normalised text (no punctuation, stop words or single characters).

        Search mode: a long word also yields the dictionary words inside it (专职党务工作人员 -> 专职,
        党务 …), so a question with the short word finds the text with the long one. A range of years
        also yields the years inside it.
        """
        return [t for t in self.tk.cut_for_search(text, HMM=False) if self._keep(t)] + years_between(text)

    def query_words(self, text: str) -> list[str]:
        """Content words of a question: the longest words only.

        The member who writes 主题党日 means that, not 主题 as well; counting the words inside it again
        would favour measures that merely repeat 主题 (character bigrams still catch partial matches).
        """
        return [t for t in self.tk.cut(text, HMM=False) if self._keep(t)]

    @staticmethod
    def _keep(t: str) -> bool:
        return len(t) >= 2 and t not in ZH_STOPWORDS and bool(_ZH_KEEP.search(t))

    def grams(self, text: str) -> list[str]:
        """Overlapping character bigrams of each run of Chinese characters."""
        out: list[str] = []
        for run in CJK_RUN.findall(text):
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        return out

    def _expansion(self, term: str) -> tuple[list[str], list[str]]:
        cached = self._expansion_cache.get(term)
        if cached is None:
            norm = normalize(term)
            cached = (self.words(norm), self.grams(norm))
            self._expansion_cache[term] = cached
        return cached

    @staticmethod
    def _unknown_runs(tokens: list[str]) -> list[str]:
        """Runs of two or more single Chinese characters, stop words aside, that segmentation left unjoined."""
        runs: list[str] = []
        current = ""
        for t in [*tokens, ""]:
            if len(t) == 1 and CJK_RUN.fullmatch(t) and t not in ZH_STOPWORDS:
                current += t
                continue
            if len(current) >= 2:
                runs.append(current)
            current = ""
        return runs

    def _homophone_typos(self, tokens: list[str]) -> Iterator[tuple[str, str]]:
        """(substring, term): a two- or three-character term of the text or a colloquial form that reads like a
        substring of the question and differs from it in exactly one character (党废 -> 党费).

        The substring is made of whole tokens of the question (党/废, or the word 巡查), never a piece of a
        longer word: 干什 inside 干什么 reads "gan shi" but is not a slip for 干事.
        """
        text = "".join(tokens)
        bounds = set(itertools.accumulate((len(t) for t in tokens), initial=0))
        for start in sorted(bounds):
            for n in (2, 3):
                sub = text[start : start + n]
                if len(sub) < n or start + n not in bounds or not CJK_RUN.fullmatch(sub) or sub in self._short_terms:
                    continue
                for key in self._readings(sub):
                    for term in self._homophones.get(key, ()):
                        if len(term) == n and sum(a != b for a, b in zip(term, sub, strict=True)) == 1:
                            yield sub, term

    def _sure_short_slip(self, typo: str, term: str) -> bool:
        """A two- or three-character homophone slip is sure only for a term of branch work (党废: 党费, 书计: 书记) and
        only where the character put right is no word of grammar: most two characters that read like a common word
        are the sentence going on ("派人" is not 白人, "住的" not 住地)."""
        changed = [a for a, b in zip(typo, term, strict=True) if a != b]
        return term in self._slip_terms and not _FUNCTION_CHARACTERS.intersection(changed)

    def _sounds_alike(self, typo: str, term: str) -> bool:
        """Each character where ``typo`` and ``term`` differ shares a reading with the term's: a slip of a pinyin
        keyboard or of voice input, not a different word."""
        pairs = [(a, b) for a, b in zip(typo, term, strict=True) if a != b]
        return all(set(self.pinyin.get(a, ())) & set(self.pinyin.get(b, ())) for a, b in pairs)

    def _typos(self, text: str) -> Iterator[tuple[str, str]]:
        """(substring, term) where a known term differs from a substring of the question in one character."""
        for run in CJK_RUN.findall(text):
            for n in range(4, min(8, len(run)) + 1):
                for start in range(len(run) - n + 1):
                    sub = run[start : start + n]
                    if sub in self.tk.FREQ:
                        continue
                    for i in range(n):
                        for term in self._fuzzy.get(sub[:i] + "*" + sub[i + 1 :], ()):
                            yield sub, term

    def query(self, question: str) -> Query:
        """Weighted terms of a question, with synonym and typo expansion."""
        text = _ANNIVERSARY.sub("入党周年", _SHORT_YEAR.sub(r"20\1", normalize(question)))
        tokens = list(self.tk.cut(text, HMM=False))
        words = [t for t in tokens if self._keep(t)]
        # Latin words cannot occur in the Chinese text, and a number or year alone says little of what is
        # asked: they neither help nor count against coverage. Characters the dictionary does not join into
        # words (世界杯冠军, 差旅费: their characters are not in the measures) are content the text does not know.
        content = [w for w in words if not w.isascii()] + self._unknown_runs(tokens)
        q = Query(content=tuple(dict.fromkeys(content)))
        role = role_span(text)
        if role is not None:
            # Words inside the role phrase count less; the question goes on with its subject.
            inside = [t for t in self.tk.cut(text[role[0] : role[1]], HMM=False) if self._keep(t)]
            q.add([w for w in words if w not in inside], self.grams(text[: role[0]] + " " + text[role[1] :]), 1.0)
            q.add(inside, self.grams(text[role[0] : role[1]]), ROLE_WEIGHT)
        else:
            q.add(words, self.grams(text), 1.0)
        rest = text
        own_terms = [t for t in self.text_terms if t in text]
        for key, targets in self.synonyms:
            if key in rest and not any(key in t and key != t for t in own_terms):
                # Consume the matched form so that a long colloquial form ("专门搞党务的人") does not
                # also fire the short keys inside it.
                rest = rest.replace(key, " ")
                q.fired.append(key)
                for target in targets:
                    w, g = self._expansion(target)
                    q.add(w, g, SYNONYM_WEIGHT)
        for w in words:
            if len(w) > 2 and self.text_words and w not in self.text_words:
                # A thesaurus term or a colloquial word the text does not use: its parts may be the text's.
                q.add([p for p in self.words(w) if p != w], (), SUBWORD_WEIGHT)
        for w in words:
            # A general-language synonym of a word the index does not know (同义词词林): a weak hint.
            if w not in self.known_words:
                for target in self.cilin.get(w, ()):
                    tw, tg = self._expansion(target)
                    q.add(tw, tg, CILIN_WEIGHT)
        candidates: dict[str, set[str]] = {}
        for typo, term in set(self._typos(text)):
            q.fired.append(typo)
            if self._sounds_alike(typo, term):  # 主体党日: 主题党日; not 党的工作 for 党务工作
                candidates.setdefault(typo, set()).add(term)
            w, g = self._expansion(term)
            q.add(w, g, FUZZY_WEIGHT)
        for typo, term in set(self._homophone_typos(tokens)):
            if typo not in self.tk.FREQ:
                # Not a word at all: surely a slip, so it counts as understood. A real word that reads like a
                # term (巡查 for 巡察) adds the term but does not make an off-topic question look answerable.
                q.fired.append(typo)
                if self._sure_short_slip(typo, term):
                    candidates.setdefault(typo, set()).add(term)
            for target in self._synonym_table.get(term, [term]):
                w, g = self._expansion(target)
                q.add(w, g, FUZZY_WEIGHT)
        q.slips = {typo: next(iter(terms)) for typo, terms in candidates.items() if len(terms) == 1}
        return q

    def surface_terms(self, text: str, terms: Iterable[str]) -> tuple[str, ...]:
        """The query words that occur in ``text`` as they are written there, longest first."""
        norm = normalize(text)
        found = {t for t in terms if len(t) >= 2 and t in norm}
        # Drop a term inside a longer found term where it only occurs inside it: bolding 党费专户 already bolds
        # 党费 there (but 党费 alone elsewhere in the quotes stays bold).
        kept = []
        for t in found:
            rest = norm
            for o in found:
                if t != o and t in o:
                    rest = rest.replace(o, " ")
            if t in rest:
                kept.append(t)
        return tuple(sorted(kept, key=lambda t: (-len(t), t)))
