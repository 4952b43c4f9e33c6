"""``branchbot ask``: question answering over the measures from the command line (for operators)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Annotated

import typer

from bot.i18n import translator
from bot.measures.definitions import asked_definitions
from bot.measures.knowledge import MEASURE_COUNT
from bot.measures.numbers import missing_context
from bot.measures.schedule import schedule_context
from bot.measures.search import Answer, get_index
from bot.measures.search import ask as ask_question
from bot.telegram_html import plain_text
from bot.templates import render


def answer_to_json(answer: Answer) -> str:
    """One line of JSON: the question and its ranked measures (empty when unknown)."""
    payload: dict[str, object] = {
        "question": answer.question,
        "answers": [
            # "lead" (added): the sentence that answers the question, shown first in the chat.
            {"measure": h.measure.number, "score": round(h.score, 3), "title": h.measure.title, "lead": h.lead}
            for h in answer.hits
        ],
    }
    if answer.unsure:
        payload["unsure"] = True  # added: the first two measures score alike; the chat shows both
    if answer.tentative:
        payload["tentative"] = True  # added: barely sure; the chat says the measures may not answer this directly
    if answer.out_of_range is not None:
        payload["out_of_range"] = answer.out_of_range
    if len(answer.numbers_requested) > 1:
        payload["numbers"] = list(answer.numbers_requested)  # added: several measures asked for by number, in order
    if answer.numbers_missing:
        payload["missing"] = list(answer.numbers_missing)  # added: numbers asked for that the notice has no measure for
    if answer.schedule is not None:
        payload["schedule"] = str(answer.schedule)  # added: the notice's tasks of a period, their measures in order
    if answer.section_requested is not None:
        payload["section"] = answer.section_requested  # added: the answers are this section's measures, in order
    if answer.aside is not None:
        payload["aside"] = str(answer.aside)  # added: small talk, the assistant, the notice as a whole
    if answer.nearest is not None:
        # added: declined, but nearly answered: the measure nearest in subject, which the reply names
        payload["nearest"] = {"measure": answer.nearest.number, "title": answer.nearest.title}
    if definitions := asked_definitions(answer.question, answer.lang):
        # added: what the Party terms asked about mean (the glossary's; the notice does not say)
        payload["definitions"] = [{"term": d.term, "text": d.text} for d in definitions]
    if frequencies := answer.frequencies:
        # added: how often the regulations require the meetings the question asks about (the notice does not say)
        payload["frequencies"] = [
            {"meeting": k.id, "period": str(k.period), "times": k.times_per_period} for k in frequencies
        ]
    return json.dumps(payload, ensure_ascii=False)


def answer_to_text(answer: Answer, lang: str) -> str:
    """A readable answer in ``lang``: number, section, title and the matched sentences of each measure."""
    locale = "zh_CN" if lang == "zh" else "en"
    frequencies = answer.frequencies
    definitions = asked_definitions(answer.question, answer.lang)
    if answer.schedule is not None:  # the notice's calendar, as the chat shows it
        return plain_text(render("measures/schedule.html.j2", locale, **schedule_context(answer.lang, answer.schedule)))
    if not answer.hits:
        # Out of range, too long, no words, an aside, how often a meeting is held, not found: as the chat words
        # them, without the index button the chat adds.
        notice = get_index(answer.lang).notice
        context = {
            "answer": answer,
            "count": MEASURE_COUNT,
            "notice": notice,
            "frequencies": frequencies,
            "definitions": definitions,
        }
        return plain_text(render("measures/unknown.html.j2", locale, index_button=False, **context))
    section = get_index(answer.lang).notice.section(answer.section_requested) if answer.section_requested else None
    if section is not None:
        # A section by its number: its heading and measures, as the chat shows it.
        return plain_text(render("measures/section.html.j2", locale, section=section))
    tr = translator(locale)
    lines = [plain_text(render("measures/definitions.html.j2", locale, definitions=definitions))] if definitions else []
    if frequencies:
        lines.append(plain_text(render("measures/frequencies.html.j2", locale, frequencies=frequencies)))
    if answer.numbers_missing:  # "第30到35条": the numbers the notice has not, before the measures it has
        missing = missing_context(answer.numbers_missing)
        lines.append(plain_text(render("measures/missing.html.j2", locale, **missing)))
    if answer.tentative:
        lines.append(tr.gettext("The measures may not answer this directly; this is what comes closest."))
    for h in answer.hits:
        m = h.measure
        head = tr.gettext("Measure %(number)d · %(title)s", number=m.number, title=m.title)
        lines.append(f"{head}  [{m.section.label}]  ({h.score:.1f})")
        if h.lead:
            lines.append(f"  > {h.lead}")
        if h is answer.hits[0] and answer.figure_missing:
            lines.append("  " + tr.gettext("The measures quoted set no figure for this."))
        # The other matched sentences, as the chat quotes them (``Hit.quoted``); the whole text only when no sentence
        # matched and there is no lead either.
        lines.extend(f"  - {s}" for s in (h.quoted if h.sentences else () if h.lead else (m.body,)))
    return "\n".join(lines)


def _questions(question: str | None) -> Iterable[str]:
    if question is not None:
        yield question
        return
    for line in sys.stdin:
        line = line.strip()  # also a Windows line end
        if line:
            yield line


def register(app: typer.Typer) -> None:
    """Add the ``ask`` command to ``app``."""
    if app.registered_callback is None and not app.registered_commands:
        # Typer runs an app with one command and no callback as that bare command ("branchbot QUESTION"),
        # so "branchbot ask QUESTION" would fail until other commands exist. An empty callback keeps it a
        # command group; a callback the app defines later replaces this one.
        @app.callback()
        def _group() -> None:
            pass

    @app.command("ask")
    def ask(
        question: Annotated[
            str | None, typer.Argument(help="The question; without it, one question per line from stdin.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
        top: Annotated[int, typer.Option("--top", min=1, max=32, help="At most this many measures.")] = 3,
        lang: Annotated[
            str | None,
            typer.Option(
                "--lang",
                help="zh (the official text) or en (the unofficial English rendering); "
                "by default the language each question is written in.",
            ),
        ] = None,
    ) -> None:
        """Answer questions about the 32 measures."""
        if lang is not None and lang not in ("zh", "en"):
            raise typer.BadParameter("use zh or en", param_hint="--lang")
        first = True
        for q in _questions(question):
            answer = get_index(lang).answer(q, top=top) if lang else ask_question(q, "zh", top=top)
            if as_json:
                typer.echo(answer_to_json(answer))
            else:
                if question is None:  # several questions from stdin: say which one each answer is for
                    typer.echo(("" if first else "\n") + f"? {q}")
                typer.echo(answer_to_text(answer, answer.lang))
            first = False
