"""Questions on the measures: free text in a private chat, /ask anywhere, /measure N, and /measures to browse."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BranchContext
from bot.i18n import translator
from bot.measures import Answer, MeasureIndex, get_index, highlight
from bot.measures.numbers import find_measure_number
from bot.templates import render
from handlers.common import reply

RELATED_BUTTONS = 2  # "up to two related measures" besides the full text of the best one


def index_for(context: BranchContext) -> MeasureIndex:
    """The knowledge base in the caller's language (the English one is the team's unofficial rendering)."""
    return get_index("en" if context.tr.locale == "en" else "zh")


def fit(text: str) -> str:
    """Keep a message within Telegram's limit, cutting at a line break (templates keep tags within lines)."""
    limit = MessageLimit.MAX_TEXT_LENGTH
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2] + "\n…"


def _answer_view(answer: Answer, index: MeasureIndex, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of an answer (or of "I don't know")."""
    tr_count = len(index.notice.measures)
    if not answer.hits:
        text = render("measures/unknown.html.j2", locale, answer=answer, count=tr_count)
        keyboard = [[InlineKeyboardButton(_label(locale, "index"), callback_data="ms:idx")]]
        return fit(text), InlineKeyboardMarkup(keyboard)
    best = answer.hits[0]
    quotes = [highlight(sentence, best.terms) for sentence in best.sentences]
    text = render("measures/answer.html.j2", locale, hit=best, quotes=quotes, others=answer.hits[1:])
    buttons = [
        InlineKeyboardButton(_label(locale, "full", best.measure.number), callback_data=f"ms:m:{best.measure.number}")
    ]
    buttons += [
        InlineKeyboardButton(_label(locale, "measure", hit.measure.number), callback_data=f"ms:m:{hit.measure.number}")
        for hit in answer.hits[1 : 1 + RELATED_BUTTONS]
    ]
    return fit(text), InlineKeyboardMarkup(
        [buttons, [InlineKeyboardButton(_label(locale, "index"), callback_data="ms:idx")]]
    )


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
    """Answer one question with the measure(s) that fit, or say so and offer the index."""
    index = index_for(context)
    answer = index.answer(question)
    text, keyboard = _answer_view(answer, index, context.tr.locale)
    await reply(update, text, reply_markup=keyboard)


async def ask(update: Update, context: BranchContext) -> None:
    """/ask 问题: answer a question anywhere (private chat or group)."""
    question = " ".join(context.args or [])
    if not question.strip():
        await reply(update, context.tr.gettext("Write your question after /ask, for example: /ask 党费能用来干什么"))
        return
    await answer_question(update, context, question)


async def free_text(update: Update, context: BranchContext) -> None:
    """A plain message in a private chat, outside any conversation, is taken as a question."""
    assert update.message is not None and update.message.text is not None
    await answer_question(update, context, update.message.text)


async def show_measure_command(update: Update, context: BranchContext) -> None:
    """/measure N (also 第十六条, 措施二十二): show one measure in full."""
    index = index_for(context)
    argument = " ".join(context.args or [])
    ref = find_measure_number(argument) if argument else None
    count = len(index.notice.measures)
    if ref is None:
        await reply(
            update,
            context.tr.gettext(
                "Which measure? Give its number from 1 to %(count)d, for example /measure 16.", count=count
            ),
        )
        return
    await _send_measure(update, context, index, ref.number)


async def _send_measure(
    update: Update, context: BranchContext, index: MeasureIndex, number: int, *, edit: bool = False
) -> None:
    measure = index.measure(number)
    locale = context.tr.locale
    if measure is None:
        await reply(
            update,
            context.tr.gettext(
                "There is no measure %(number)d; there are %(count)d.", number=number, count=len(index.notice.measures)
            ),
        )
        return
    text = fit(render("measures/measure.html.j2", locale, measure=measure, notice=index.notice))
    nav = []
    if number > 1:
        nav.append(
            InlineKeyboardButton("◀ " + _label(locale, "measure", number - 1), callback_data=f"ms:m:{number - 1}")
        )
    nav.append(InlineKeyboardButton(_label(locale, "section"), callback_data=f"ms:s:{measure.section.number}"))
    if number < len(index.notice.measures):
        nav.append(
            InlineKeyboardButton(_label(locale, "measure", number + 1) + " ▶", callback_data=f"ms:m:{number + 1}")
        )
    keyboard = InlineKeyboardMarkup([nav])
    if edit and update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(text, reply_markup=keyboard)
    else:
        await reply(update, text, reply_markup=keyboard)


def _index_view(index: MeasureIndex, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    text = render("measures/index.html.j2", locale, notice=index.notice)
    rows = [
        [InlineKeyboardButton(section.label[:60], callback_data=f"ms:s:{section.number}")] for section in index.sections
    ]
    return text, InlineKeyboardMarkup(rows)


def _section_view(index: MeasureIndex, number: int, locale: str) -> tuple[str, InlineKeyboardMarkup] | None:
    sections = [s for s in index.sections if s.number == number]
    if not sections:
        return None
    section = sections[0]
    text = render("measures/section.html.j2", locale, section=section)
    buttons = [InlineKeyboardButton(str(m.number), callback_data=f"ms:m:{m.number}") for m in section.measures]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([InlineKeyboardButton(_label(locale, "index"), callback_data="ms:idx")])
    return text, InlineKeyboardMarkup(rows)


async def browse(update: Update, context: BranchContext) -> None:
    """/measures: the 7 sections as buttons."""
    text, keyboard = _index_view(index_for(context), context.tr.locale)
    await reply(update, text, reply_markup=keyboard)


async def browse_button(update: Update, context: BranchContext) -> None:
    """Buttons ms:idx, ms:s:N, ms:m:N: move through the index in place."""
    query = update.callback_query
    assert query is not None and query.data is not None
    index = index_for(context)
    locale = context.tr.locale
    parts = query.data.split(":")
    if parts[1] == "m" and len(parts) == 3 and parts[2].isdigit():
        await _send_measure(update, context, index, int(parts[2]), edit=True)
        return
    view = None
    if parts[1] == "idx":
        view = _index_view(index, locale)
    elif parts[1] == "s" and len(parts) == 3 and parts[2].isdigit():
        view = _section_view(index, int(parts[2]), locale)
    await query.answer()
    if view is not None:
        await query.edit_message_text(view[0], reply_markup=view[1])


HANDLERS = [
    CommandHandler("ask", ask),
    CommandHandler("measure", show_measure_command),
    CommandHandler("measures", browse),
    CallbackQueryHandler(browse_button, pattern=r"^ms:(idx|s:\d+|m:\d+)$"),
]
# Registered last: any text no conversation took is a question about the measures.
FREE_TEXT_HANDLERS = [MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, free_text)]
