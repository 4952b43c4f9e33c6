"""The decision to answer or decline a question on the measures (bot/measures/decline.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.measures import register
from bot.measures import ask, load_notice
from bot.measures.analysis import load_concepts, normalize
from bot.measures.decline import (
    ANSWER_PROBABILITY,
    DECLINE_WEIGHTS,
    FEATURES,
    UNANCHORED_ANSWER_PROBABILITY,
    UNKNOWN_ANSWER_PROBABILITY,
    OfftopicLexicon,
    Signals,
    answer_probability,
    outside_the_notice,
    settled_probability,
)
from bot.measures.search import MeasureIndex, get_index


def _notice_text(lang: str) -> str:
    notice = load_notice(lang)
    return "\n".join([*(m.text for m in notice.measures), *(s.title for s in notice.sections)])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_off_topic_lexicon_names_nothing_the_notice_or_the_thesaurus_covers(lang: str) -> None:
    data = json.loads(resources.files("bot.measures").joinpath("data", "offtopic.json").read_text("utf-8"))
    lexicon = OfftopicLexicon(lang, _notice_text(lang))
    # Every term of the file is kept: none occurs in the notice (it would not be off-topic then).
    assert len(lexicon.terms) == len(data[lang]) >= 100
    thesaurus = {normalize(t) for terms in load_concepts(lang) for t in terms}
    assert not [t for t in lexicon.terms if t in thesaurus]


def test_the_lexicon_finds_a_topic_inside_a_question() -> None:
    zh = OfftopicLexicon("zh", _notice_text("zh"))
    en = OfftopicLexicon("en", _notice_text("en"))
    assert zh.find("预备党员多久可以转正") == ("预备党员", "多久可以转正")
    # Round 13: 转正 and 入党申请 alone no longer count (a new member "刚转正" asks about measure 23; re-reading
    # one's 入党申请 is measure 5's 重温入党志愿书), only the phrases that ask how to become a full member or apply.
    assert zh.find("刚转正的新同志，谁给他们上廉洁自律这一课") == ()
    assert zh.find("入党申请书怎么写") == ("入党申请书怎么写",)
    assert zh.find("党费能用来干什么") == ()
    assert en.find("How long is the Probationary period?") == ("probation",)
    assert en.find("what can party dues be used for") == ()


def test_one_weight_per_signal() -> None:
    assert len(DECLINE_WEIGHTS) == len(FEATURES)


@pytest.mark.parametrize(
    ("offtopic", "answerable", "lang"),
    [
        ("入党积极分子要考察多长时间", "党员在工作群里转发不实言论怎么处理", "zh"),
        ("支部书记有没有岗位补贴，一个月多少", "支部书记出缺多久要补上", "zh"),
        ("How much are the Party dues for my salary?", "What can the Party dues be used for?", "en"),
    ],
)
def test_the_meaning_signal_places_other_business_nearer_the_written_off_topic_questions(
    offtopic: str, answerable: str, lang: str
) -> None:
    # Round 21: the distilled model's cosine with the nearest written off-topic question, and how much nearer that
    # is than the nearest example of a measure, are signals of the decision, weighed against answering.
    index = get_index(lang)

    def signals(question: str) -> Signals:
        return index.signals(index.analyzer.query(question), question)

    off, on = signals(offtopic), signals(answerable)
    assert off.meaning_offtopic > on.meaning_offtopic
    names = list(FEATURES)
    nearer = names.index("meaning off-topic nearer")
    assert off.features()[nearer] > on.features()[nearer]
    assert DECLINE_WEIGHTS[names.index("meaning off-topic")] < 0 and DECLINE_WEIGHTS[nearer] < 0


def _counted_lookup(index: MeasureIndex, question: str, calls: list[str]) -> Callable[[], float]:
    def lookup() -> float:
        calls.append(question)
        assert index._meaning is not None
        return index._meaning.nearest_offtopic(question)

    return lookup


def test_the_off_topic_search_is_skipped_only_where_it_cannot_change_the_decision() -> None:
    # settled_probability looks up the nearest written off-topic question only when the answer could turn on it;
    # elsewhere its probability is on the same side of the threshold as the exact one.
    path = resources.files("bot.measures").joinpath("data", "questions.jsonl")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()[::40]]
    looked_up = decided = 0
    for row in rows:
        index = get_index(row["lang"])
        query = index.analyzer.query(row["q"])
        if not query.words and not query.grams:
            continue
        exact = answer_probability(index.signals(query, row["q"]))
        calls: list[str] = []
        lookup = _counted_lookup(index, row["q"], calls)
        settled = settled_probability(index.signals(query, row["q"], offtopic=False), (ANSWER_PROBABILITY,), lookup)
        assert (settled >= ANSWER_PROBABILITY) == (exact >= ANSWER_PROBABILITY), row["q"]
        looked_up += bool(calls)
        decided += 1
    assert decided > 300 and 0 < looked_up < decided / 2  # most questions are settled without the search


@pytest.mark.parametrize(
    ("question", "locale"),
    [
        ("预备党员转正要开几次会", "zh"),
        ("党员组织关系跨市转接要带什么", "zh"),
        ("2022年世界杯冠军是谁", "zh"),
        ("how do I transfer my party membership to my new employer", "en"),
        # Round 5's lexicon: other cities' organs, requests to write something, rules the notice does not set.
        # (Session 27: "北京的中央和国家机关党建有什么要求" left this list. Its probability was 0.13 against the bar of
        # 0.15; the refit kept then, which moved the decision along its curve toward answering, gives it 0.20, and
        # the answer says first that it is tentative: tests/test_measures_chat.py, test_measures_cli.py.)
        ("帮我起草一份支部工作总结", "zh"),
        ("民主生活会一年开几次", "zh"),
        ("支部委员会的委员职数怎么定", "zh"),
        ("write me a speech for the branch meeting", "en"),
        # Round 8: elections' and discipline's procedure, the Constitution's text, organisational-life apps, IT.
        ("换届选举时弃权票算不算有效票", "zh"),
        ("受了严重警告处分多久能提拔", "zh"),
        ("党章总纲有多少段", "zh"),
        ("学习强国四人赛每天能玩几局", "zh"),
        ("腾讯会议怎么开美颜", "zh"),
        ("my laptop has a blue screen again", "en"),
        ("which cities belong to the greater bay area", "en"),
    ],
)
def test_party_business_the_notice_does_not_cover_is_declined(question: str, locale: str) -> None:
    answer = ask(question, locale)
    assert not answer.known, [h.measure.number for h in answer.hits]


@pytest.mark.parametrize(
    ("question", "locale", "number"),
    [
        ("党费能用来干什么", "zh", 16),
        ("支部开会第一项议程应该学什么", "zh", 7),
        ("支委走了一个多久要补上", "zh", 31),
        ("刚入职的党员要不要上廉洁课", "zh", 23),
        ("what can party dues be used for", "en", 16),
    ],
)
def test_questions_on_the_measures_are_still_answered(question: str, locale: str, number: int) -> None:
    answer = ask(question, locale)
    assert answer.known and answer.hits[0].measure.number == number


def test_a_question_without_a_word_of_the_domain_must_be_likelier_to_be_answered() -> None:
    # Unanchored, the bar is never lower than for a question about branch work (round 11: the same) …
    assert UNANCHORED_ANSWER_PROBABILITY >= ANSWER_PROBABILITY
    assert not ask("what time does the library open", "en").known
    # … while situations in everyday words, without 党 or 支部, are still answered.
    assert ask("网上有人造谣怎么办", "zh").hits[0].measure.number == 8
    assert ask("同事最近情绪低落怎么办", "zh").hits[0].measure.number == 9


def test_a_question_in_words_the_notice_does_not_use_is_answered_only_when_the_decision_is_sure() -> None:
    # Round 10: no word of the domain and none the measures' text knows used to be declined before the regression; a
    # sure regression now answers it ("压力" is a thesaurus term of measure 9, 身心健康); never less sure than for
    # any other question without a word of the domain (round 12: as sure) …
    assert UNKNOWN_ANSWER_PROBABILITY >= UNANCHORED_ANSWER_PROBABILITY
    assert ask("心里压力大咋办", "zh").hits[0].measure.number == 9
    # … while what the notice does not cover is still declined.
    assert not ask("2022年世界杯冠军是谁", "zh").known
    assert not ask("抑郁了找谁", "zh").known
    assert not ask("天天摸鱼咋办", "zh").known


@pytest.mark.parametrize(
    ("question", "locale"),
    [
        ("帮我写一篇党课讲稿", "zh"),
        ("麻烦帮我起草一份支部工作总结", "zh"),
        ("Could you write me a speech on loyalty?", "en"),
    ],
)
def test_a_request_to_write_something_is_declined_however_party_like_its_words(question: str, locale: str) -> None:
    # Round 12: the bot quotes the measures and writes nothing; the regression alone answered some such requests.
    assert not ask(question, locale).known


def test_a_question_about_what_to_write_is_still_answered() -> None:
    # Writing named inside a question about the measures is not a request to write.
    assert [h.measure.number for h in ask("年底支部书记要写述职报告吗，依据哪条", "zh").hits][:1] == [30]


@pytest.mark.parametrize(
    ("question", "locale"),
    [
        ("宣传委员平时要干啥", "zh"),  # the notice never names the organisation or publicity committee member
        ("组织委员具体负责什么工作", "zh"),
        ("支委分工怎么定", "zh"),
        ("I'm the organisation committee member, what's my job", "en"),
        ("借调过来的同事在哪个支部过组织生活", "zh"),  # nor says which branch a member belongs to
        ("我是副局长，我的组织关系在哪个支部", "zh"),  # a leading cadre's membership, not their organisational life
        ("局长是党组书记，他的组织关系在哪个支部", "zh"),
        ("contract workers who are party members which branch", "en"),
        ("线上视频开支部党员大会算数吗", "zh"),  # nor speaks of meeting online
        ("Can we hold the branch meeting online?", "en"),
        ("出差错过主题党日要补吗", "zh"),  # nor of a meeting missed or made up (session 19)
        ("这个月的主题党日没开，月底补开来得及吗", "zh"),
        ("I missed the theme party day because of a business trip, do I need to make it up?", "en"),
        ("支部党员大会到会人数不过半算不算数", "zh"),  # nor how many must attend
        ("Does a branch meeting need a quorum?", "en"),
        ("支委会要不要写会议记录", "zh"),  # nor minutes
        ("do we need to keep minutes of group meetings", "en"),
        ("主题党日和处室的业务学习能不能合着一起搞", "zh"),  # nor two meetings merged into one (session 22)
        ("Can we combine the branch general meeting with the monthly theme day?", "en"),
        ("党员每个月党费交多少", "zh"),  # nor what the dues come to or how they are paid
        ("党费每个月交多少", "zh"),
        ("How much are the party dues each month?", "en"),
        ("Can I pay my party dues with Alipay?", "en"),
        ("How long is a branch committee's term?", "en"),  # nor a committee's term and election
        ("刚调来的同志组织关系怎么转过来", "zh"),  # nor a newcomer's organisational relationship
        ("I'm in HR and a new hire is a Party member, where does his membership go?", "en"),
        ("I am in HR, how do I transfer a new hire's party relationship?", "en"),
        ("党费一年交多少", "zh"),  # what a year's dues come to; unpaid for years is measure 14's (session 36)
        ("机关每年发展党员有没有名额", "zh"),  # nor developing members and joining the Party (fourth step)
        ("年轻人想入党要走哪些流程", "zh"),
        ("How do I join the Party?", "en"),
    ],
)
def test_business_the_notice_does_not_regulate_is_declined(question: str, locale: str) -> None:
    answer = ask(question, locale)
    assert not answer.known and answer.nearest is None and answer.not_regulated
    assert outside_the_notice(question)


def test_the_reply_says_the_notice_does_not_regulate_it_and_where_to_look() -> None:
    app = typer.Typer()
    register(app)
    text = CliRunner().invoke(app, ["ask", "宣传委员平时要干啥"]).output
    assert text.startswith("《若干措施》没有规定这方面的内容，请以《中国共产党支部工作条例（试行）》等党内法规")
    assert "换个说法" not in text  # rephrasing would not help
    text = CliRunner().invoke(app, ["ask", "--lang", "en", "Can we hold the branch meeting online?"]).output
    assert text.startswith("The measures do not regulate this.")
    # A question declined for other reasons still gets the usual reply.
    assert not ask("2022年世界杯冠军是谁", "zh").not_regulated


@pytest.mark.parametrize(
    ("question", "locale", "number"),
    [
        ("组织委员要管党员的积分吗", "zh", 14),  # the member's points, asked by the organisation committee member
        ("我是宣传委员，思想引导这块应该怎么做", "zh", 9),  # a role, then the question
        ("纪检委员平时负责什么", "zh", 23),  # measure 23, on the organs' discipline commission, answers it
        ("党员培训能不能搞线上课、实地参观、做课题这些方式", "zh", 11),  # study online is measure 11's 网上学习
        ("Does online learning count as a form of member training under the notice?", "en", 11),
        ("我们党组书记要建一个支部工作联系点，一般该选哪个支部？", "zh", 20),  # which branch, in another sense
        ("支部书记空缺多久要补上", "zh", 31),  # a seat to fill, not a meeting to make up
        ("有个党员半年多没参加组织生活了怎么办", "zh", 14),  # long absent: measure 14's unqualified members
        ("第一议题学完要不要写记录", "zh", 7),  # the first agenda item's record, not a meeting's minutes
        ("会议记录第一项要写什么", "zh", 7),  # the meeting's first item is the first agenda item (session 34)
        ("主题党日可以和志愿服务一起搞吗", "zh", 20),  # the theme day's service (measure 20), not a merger
        ("会太多了能不能合并开", "zh", 24),  # fewer meetings: measure 24
        ("Can party dues pay for a team outing?", "en", 16),  # what dues are used for, not what is paid
        ("有个党员半年没交党费也不来开会，怎么处理", "zh", 14),  # an unqualified member
        ("a member hasn't paid his dues for six months, what should the branch do", "en", 14),
        ("Our secretary was transferred mid-term, how soon must we fill the seat?", "en", 31),  # a seat to fill
        ("常年在外地的党员组织关系还在我们这，怎么管", "zh", 14),  # a mobile member, not a newcomer
        ("发展党员有什么标准", "zh", 14),  # the political standard measure 14 sets, not the procedure
        ("入党积极分子培训的经费从哪出", "zh", 16),  # the activists' training funds
        # A leading cadre's organisational life is measure 5's 双重组织生活 (session 32), and community registration is
        # measure 22's, not a meeting missed.
        ("局长要在哪个支部过组织生活", "zh", 5),
        ("领导班子成员要不要编入支部参加活动", "zh", 5),
        ("他的双重组织生活在哪个支部过", "zh", 5),
        ("局领导都要编入党支部吗", "zh", 5),  # a cadre put into a branch at all (session 37)
        ("社区那边说我没去报到，会通报单位吗", "zh", 22),
        # Session 36: dues unpaid for years is an unqualified member as for months; the first agenda item skipped is
        # measure 7's and a leader skipping measure 5's; a new hire who is a member, with no transfer named, is
        # measure 23's 新入职党员 education.
        ("有个党员两年多没交党费了，人也联系不上，怎么办", "zh", 14),
        ("Can we skip the first agenda item if the meeting runs short?", "en", 7),
        ("Can the bureau chief skip the organisational life meeting?", "en", 5),
        ("I am in HR and a new hire is a Party member, what should we do for him?", "en", 23),
    ],
)
def test_the_same_words_in_another_sense_are_still_answered(question: str, locale: str, number: int) -> None:
    """None is caught by a rule; each is answered with its measure, or, where the regression is not sure enough for
    its wording (most people's questions on dues are on what the notice does not settle), declined with that measure
    named as nearest in subject (since session 23: "a member hasn't paid his dues for six months …")."""
    assert not outside_the_notice(question)
    answer = ask(question, locale)
    shown = [h.measure.number for h in answer.hits][:1] or [answer.nearest.number if answer.nearest else None]
    assert shown == [number]
