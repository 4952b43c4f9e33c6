"""Questions on the measures: free text in a private chat, /ask anywhere, /measure N, and /measures to browse.

Buttons are :class:`bot.measures.buttons.MeasuresLink` (``ms:<view>[:<lang>][:new]``): the view, the language of
the text shown and whether the view comes as a new message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import BadCallback
from bot.context import BranchContext
from bot.i18n import translator
from bot.measures.buttons import MeasuresButton, MeasuresLink, MeasuresView
from bot.templates import render
from handlers.common import reply

if TYPE_CHECKING:
    from bot.measures.schedule import Asked
    from bot.measures.search import Answer, MeasureIndex

# The search (bot.measures.search, its tables and tokenizer) is imported by the functions that answer, not with
# the handlers: registering them is part of every start-up, and the warm-up job imports it once the bot polls.

RELATED_BUTTONS = 2  # "up to two related measures" besides the full text of the best one
SECTION_LABEL_CHARS = 48  # a section's button: longer English titles are cut at a word, with "…"


def index_for(context: BranchContext) -> MeasureIndex:
    """The knowledge base in the caller's language (the English one is the team's unofficial rendering)."""
    from bot.measures.search import get_index, index_language

    return get_index(index_language(context.tr.locale))


def fit(text: str) -> str:
    """Keep a message within Telegram's limit, cutting at a line break (templates keep tags within lines)."""
    limit = MessageLimit.MAX_TEXT_LENGTH
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2] + "\n…"


def _button(
    label: str, view: MeasuresView, number: int | None, lang: str, *, new: bool = False
) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=MeasuresLink(view, number, lang, new).pack())


def _short(label: str, limit: int = SECTION_LABEL_CHARS) -> str:
    """A button label of at most ``limit`` characters, cut at a space when there is one."""
    if len(label) <= limit:
        return label
    cut = label.rfind(" ", 0, limit)
    return label[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def _pointers(answer: Answer, update: Update, context: BranchContext) -> list[tuple[str, str]]:
    """``(command, description)`` of the assistant's commands that do what the question is about
    (bot.measures.pointers), those of the caller's role, at most ``pointers.SHOWN``. None in a group (the answer is
    read by all, the commands would be the asker's), nor for small talk, the notice as a whole, or a question that
    could not be read."""
    from bot.measures.asides import Aside
    from bot.measures.pointers import SHOWN, pointed_commands

    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return []
    if answer.too_long or answer.no_words or answer.aside in (Aside.SMALL_TALK, Aside.ABOUT_THE_NOTICE):
        return []
    if not (answer.hits or answer.frequencies or answer.nearest or answer.aside is Aside.ABOUT_THE_BOT):
        return []  # declined as off-topic: a subject word there is not the branch's ("积分入学")
    mine = dict(context.resources.menu.commands_for(context.caller.menu_role, context.tr.locale))
    return [(name, mine[name]) for name in pointed_commands(answer.question) if name in mine][:SHOWN]


def _with_pointers(text: str, pointers: list[tuple[str, str]], locale: str) -> str:
    """``text`` with the assistant's commands for its subject below it, after a blank line."""
    if not pointers:
        return text
    return f"{text}\n\n{render('measures/pointers.html.j2', locale, pointers=pointers)}"


def _answer_view(answer: Answer, locale: str, pointers: list[tuple[str, str]]) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of an answer (or of "I don't know"), chrome in ``locale``, quotes as found, and the
    ``pointers``: the commands of the assistant that do what it is about."""
    from bot.measures.definitions import asked_definitions
    from bot.measures.search import get_index, highlight, index_language

    lang = answer.lang
    frequencies = answer.frequencies  # how often a meeting is held: the regulations, not the notice
    definitions = asked_definitions(answer.question, index_language(locale))  # what a term means: the glossary
    if not answer.hits:
        notice = get_index(lang).notice
        count = len(notice.measures)
        text = render(
            "measures/unknown.html.j2",
            locale,
            answer=answer,
            count=count,
            notice=notice,
            frequencies=frequencies,
            definitions=definitions,
            index_button=True,
        )
        text = _with_pointers(text, pointers, locale)
        # Nothing worth keeping: the index (or the nearest measure, when one is named) replaces this message.
        keyboard = [[_button(_label(locale, "index"), MeasuresView.INDEX, None, index_language(locale))]]
        if answer.nearest is not None:
            number = answer.nearest.number
            keyboard.insert(0, [_button(_label(locale, "full", number), MeasuresView.MEASURE, number, lang)])
        return fit(text), InlineKeyboardMarkup(keyboard)
    best = answer.hits[0]
    # Answer first: the sentence that answers leads; the other matched sentences follow as quotes. When a second
    # measure scores nearly as well, its answering sentence is shown too.
    lead = best.lead or (best.sentences[0] if best.sentences else best.measure.title)
    second = answer.hits[1] if answer.unsure else None
    quotes = [highlight(s, best.terms, best.weak) for s in best.quoted if s != lead]
    text = render(
        "measures/answer.html.j2",
        locale,
        hit=best,
        lead=highlight(lead, best.terms, best.weak),
        second=second,
        second_lead=highlight(second.lead, second.terms, second.weak) if second else [],
        quotes=quotes,
        others=[h for h in answer.hits[1:] if h is not second],
        unofficial=get_index(lang).notice.unofficial,
        frequencies=frequencies,
        definitions=definitions,
        no_figure=answer.figure_missing,
        tentative=answer.tentative,
    )
    text = _with_pointers(text, pointers, locale)
    # The answer stays in the chat: what its buttons open comes as a new message.
    measure = MeasuresView.MEASURE
    buttons = [_button(_label(locale, "full", best.measure.number), measure, best.measure.number, lang, new=True)]
    buttons += [
        _button(_label(locale, "measure", hit.measure.number), measure, hit.measure.number, lang, new=True)
        for hit in answer.hits[1 : 1 + RELATED_BUTTONS]
    ]
    index = _button(_label(locale, "index"), MeasuresView.INDEX, None, lang, new=True)
    return fit(text), InlineKeyboardMarkup([buttons, [index]])


def _label(locale: str, what: str, number: int = 0) -> str:
    """Button labels: plain text (buttons do not parse HTML)."""
    tr = translator(locale)
    if what == "index":
        return tr.gettext("Index of the measures")
    if what == "full":
        return tr.gettext("Full text of measure %(number)d", number=number)
    if what == "section":
        return tr.gettext("This section")
    return tr.gettext("Measure %(number)d", number=number)


async def answer_question(update: Update, context: BranchContext, question: str) -> None:
    """Answer one question with the measure(s) that fit, or say so and offer the index.

    The question is searched in the language it is written in; the reply speaks the caller's language.
    """
    from bot.measures.search import ask, get_index

    locale = context.tr.locale
    answer = ask(question, locale)
    if answer.section_requested is not None:
        # "措施第三部分讲什么": the section, as the index's button opens it.
        section_view = _section_view(get_index(answer.lang), answer.section_requested, locale)
        if section_view is not None:
            await _show(update, section_view, edit=False)
            return
    if answer.schedule is not None:
        # "32条里每年要做的事情有哪些": the notice's calendar, with a button for each measure in it.
        await _show(update, _schedule_view(get_index(answer.lang), answer.schedule, locale), edit=False)
        return
    if answer.numbers_requested:  # several, or one beside numbers the notice lacks (search.MeasureIndex.answer)
        # Several measures by number ("第二十三、二十四条", "第3到5条"): each of them, as /measure shows one; and the
        # numbers the notice has not ("第30到35条"), said first.
        several = _several_view(get_index(answer.lang), answer.numbers_requested, locale, answer.numbers_missing)
        if several is not None:
            await _show(update, several, edit=False)
            return
    if answer.number_requested is not None and answer.hits and not answer.hits[0].sentences:
        # Just a number ("第十六条", "measure 16"): the measure itself, as /measure shows it.
        view = _measure_view(get_index(answer.lang), answer.hits[0].measure.number, locale)
        if view is not None:
            await _show(update, view, edit=False)
            return
    text, keyboard = _answer_view(answer, locale, _pointers(answer, update, context))
    await reply(update, text, reply_markup=keyboard)


async def ask_command(update: Update, context: BranchContext) -> None:
    """/ask 问题: answer a question anywhere (private chat or group); in reply to a message, that message."""
    question = " ".join(context.args or [])
    message = update.effective_message
    if not question.strip() and message is not None and message.reply_to_message is not None:
        question = message.reply_to_message.text or message.reply_to_message.caption or ""
    if not question.strip():
        await reply(
            update,
            context.tr.gettext("Write your question after /ask, for example: /ask what can Party dues be used for"),
        )
        return
    await answer_question(update, context, question)


async def free_text(update: Update, context: BranchContext) -> None:
    """A plain message in a private chat, outside any conversation, is taken as a question.

    An edited question (a typo fixed) is answered anew.
    """
    message = update.effective_message
    if message is None or not message.text:
        return
    await answer_question(update, context, message.text)


async def show_measure_command(update: Update, context: BranchContext) -> None:
    """/measure N (also 第十六条, 措施二十二): show one measure in full; /measure 3-5, /measure 23,24: those."""
    from bot.measures.numbers import (
        find_measure_number,
        measure_references,
        measures_missing,
        measures_named,
        missing_context,
    )

    index = index_for(context)
    args = context.args or []
    refs = measure_references(",".join(args))
    numbers, missing = measures_named(refs), measures_missing(refs)
    several = _several_view(index, numbers, context.tr.locale, missing) if len(numbers) > 1 or missing else None
    if several is not None:
        await _show(update, several, edit=False)
        return
    if not numbers and len(missing) > 1:  # "/measure 40-45": none of them is in the notice
        await reply(update, render("measures/missing.html.j2", context.tr.locale, **missing_context(missing)))
        return
    ref = find_measure_number(" ".join(args)) if args else None
    if ref is None and args:
        ref = find_measure_number(args[0])  # "/measure 16 党费": the number, whatever follows
    if ref is None:
        await reply(
            update,
            context.tr.gettext(
                "Which measure? Give its number from 1 to %(count)d, for example /measure 16.",
                count=len(index.notice.measures),
            ),
        )
        return
    await _show_measure(update, context, index, ref.number, edit=False)


def _measure_view(index: MeasureIndex, number: int, locale: str) -> tuple[str, InlineKeyboardMarkup] | None:
    measure = index.measure(number)
    if measure is None:
        return None
    lang = index.lang
    text = fit(render("measures/measure.html.j2", locale, measure=measure, notice=index.notice))
    nav = []
    if number > 1:
        nav.append(_button("◀ " + _label(locale, "measure", number - 1), MeasuresView.MEASURE, number - 1, lang))
    nav.append(_button(_label(locale, "section"), MeasuresView.SECTION, measure.section.number, lang))
    if number < len(index.notice.measures):
        nav.append(_button(_label(locale, "measure", number + 1) + " ▶", MeasuresView.MEASURE, number + 1, lang))
    return text, InlineKeyboardMarkup([nav])


async def _show_measure(
    update: Update, context: BranchContext, index: MeasureIndex, number: int, *, edit: bool
) -> None:
    view = _measure_view(index, number, context.tr.locale)
    if view is None:
        text = context.tr.gettext(
            "There is no measure %(number)d; there are %(count)d.", number=number, count=len(index.notice.measures)
        )
        await reply(update, text)
        return
    await _show(update, view, edit=edit)


async def _show(update: Update, view: tuple[str, InlineKeyboardMarkup], *, edit: bool) -> None:
    """Show a view in place of the button's message, or as a new message."""
    text, keyboard = view
    query = update.callback_query
    if edit and query is not None:
        await query.answer()
        try:
            await query.edit_message_text(text, reply_markup=keyboard)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # the same button pressed twice: the message already shows this
            # The message can no longer be edited (too old, deleted): show the view anew below.
        message = query.message
        if message is not None:
            await query.get_bot().send_message(message.chat.id, text, reply_markup=keyboard)
        return
    await reply(update, text, reply_markup=keyboard)


def _index_view(index: MeasureIndex, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    text = render("measures/index.html.j2", locale, notice=index.notice)
    rows = [
        [_button(_short(section.label), MeasuresView.SECTION, section.number, index.lang)] for section in index.sections
    ]
    return text, InlineKeyboardMarkup(rows)


def _several_view(
    index: MeasureIndex, numbers: tuple[int, ...], locale: str, missing: tuple[int, ...] = ()
) -> tuple[str, InlineKeyboardMarkup] | None:
    """Measures asked for together by number: their text in full when it fits in one message, else their titles; a
    button for each. First, the numbers asked for that the notice has not (``missing``), if any."""
    from bot.measures.numbers import missing_context

    measures = [m for n in numbers if (m := index.measure(n)) is not None]
    if not measures:
        return None
    context = {"measures": measures, "notice": index.notice, "full": True, **missing_context(missing)}
    text = _within_one_message("measures/several.html.j2", locale, context, shorter={"full": False})
    return text, _measures_keyboard([m.number for m in measures], index.lang, locale)


def _within_one_message(template: str, locale: str, context: dict[str, object], shorter: dict[str, object]) -> str:
    """``template`` rendered with ``context``, or, when that is too long for one message, with ``shorter`` over it
    (cut to fit if even that is too long)."""
    text = render(template, locale, **context)
    if len(text) > MessageLimit.MAX_TEXT_LENGTH:
        text = render(template, locale, **{**context, **shorter})
    return fit(text)


def _measures_keyboard(numbers: list[int], lang: str, locale: str) -> InlineKeyboardMarkup:
    """A button for each measure, three to a row, then the index. Like an answer's, they open a new message: what was
    asked for stays in the chat."""
    buttons = [_button(_label(locale, "measure", n), MeasuresView.MEASURE, n, lang, new=True) for n in numbers]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(_label(locale, "index"), MeasuresView.INDEX, None, lang, new=True)])
    return InlineKeyboardMarkup(rows)


def _schedule_view(index: MeasureIndex, asked: Asked, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    """What the notice sets for a period (schedule.py): its sentences with their measures, a button for each measure."""
    from bot.measures.schedule import schedule_context, shown_measures

    lang = index.lang
    # Every frequency in English does not fit: each task by its clause.
    text = _within_one_message(
        "measures/schedule.html.j2", locale, schedule_context(lang, asked), shorter={"brief": True}
    )
    return text, _measures_keyboard([m.number for m in shown_measures(lang, asked)], lang, locale)


def _section_view(index: MeasureIndex, number: int, locale: str) -> tuple[str, InlineKeyboardMarkup] | None:
    section = index.notice.section(number)
    if section is None:
        return None
    text = render("measures/section.html.j2", locale, section=section)
    buttons = [_button(str(m.number), MeasuresView.MEASURE, m.number, index.lang) for m in section.measures]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([_button(_label(locale, "index"), MeasuresView.INDEX, None, index.lang)])
    return text, InlineKeyboardMarkup(rows)


async def browse(update: Update, context: BranchContext) -> None:
    """/measures: the 7 sections as buttons."""
    await _show(update, _index_view(index_for(context), context.tr.locale), edit=False)


async def browse_button(update: Update, context: BranchContext) -> None:
    """Buttons ms:idx, ms:s:N, ms:m:N (with the text's language, and ``new`` from an answer)."""
    from bot.measures.search import get_index, index_language

    query = update.callback_query
    assert query is not None and query.data is not None
    locale = context.tr.locale
    try:
        link = MeasuresLink.parse(query.data)
    except BadCallback:  # malformed: nothing to show, nothing changes
        await query.answer()
        return
    index = get_index(link.lang or index_language(locale))
    edit = not link.new
    view: tuple[str, InlineKeyboardMarkup] | None
    if link.view is MeasuresView.MEASURE and link.number is not None:
        view = _measure_view(index, link.number, locale)
    elif link.view is MeasuresView.SECTION and link.number is not None:
        view = _section_view(index, link.number, locale)
    else:
        view = _index_view(index, locale)
    if view is None:  # a forged or stale reference: nothing to show, nothing changes
        await query.answer()
        return
    await _show(update, view, edit=edit)


HANDLERS = [
    CommandHandler("ask", ask_command),
    CommandHandler("measure", show_measure_command),
    CommandHandler("measures", browse),
    CallbackQueryHandler(browse_button, pattern=MeasuresButton.prefix_pattern()),
]


async def edited_question(update: Update, context: BranchContext) -> None:
    """An edited question (a typo fixed) is answered anew; nothing else handles the edit."""
    await free_text(update, context)
    raise ApplicationHandlerStop


# Ahead of the flows (a pre-check group): the edit of a question is never taken as an answer to a flow's step.
EDITED_HANDLERS = [
    MessageHandler(
        filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, edited_question
    )
]
# Registered last: any text no conversation took is a question about the measures.
FREE_TEXT_HANDLERS = [
    MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, free_text)
]
