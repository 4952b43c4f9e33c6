"""Study materials in chat: the catalog (/materials), one material, dispatching it, who studied it, and adding one
(/addmaterial, in one line or step by step)."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import BranchContext
from bot.dates import parse_date
from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.services import first_agenda as fa
from bot.services.access import Actor
from bot.services.first_agenda.buttons import (
    KindButton,
    MaterialAction,
    MaterialButton,
    Step,
    StepButton,
)
from bot.templates import render
from handlers.common import keyboard, leaders_only, reply, show
from handlers.first_agenda.common import ADD, env_of, is_admin, short
from handlers.flows import END, cancelled
from storage.first_agenda import MaterialKind, StudyMaterial

A_TITLE, A_SOURCE, A_DATE, A_KIND, A_BODY, A_CONFIRM = range(10, 16)


def _material_buttons(context: BranchContext, material: StudyMaterial) -> InlineKeyboardMarkup | None:
    if not is_admin(context):
        return None
    tr = context.tr
    return keyboard(
        [
            [
                (
                    tr.gettext(N_("Dispatch to all branches")),
                    MaterialButton(material=material.id, action=MaterialAction.DISPATCH).pack(),
                )
            ],
            [
                (
                    tr.gettext(N_("Who has studied it")),
                    MaterialButton(material=material.id, action=MaterialAction.STUDY).pack(),
                )
            ],
        ]
    )


@leaders_only
async def materials(update: Update, context: BranchContext) -> None:
    """The catalog: the latest materials, each a button."""
    async with context.unit() as session:
        entries = await fa.catalog(session, context.actor, limit=10)
    rows = [
        [(f"{i}. {short(e.material.title)}", MaterialButton(material=e.material.id).pack())]
        for i, e in enumerate(entries, 1)
    ]
    rows.append([(context.tr.gettext(N_("Add a material")), StepButton(step=Step.ADD).pack())])
    text = render("first_agenda/materials.html.j2", context.tr.locale, entries=entries, admin=is_admin(context))
    await reply(update, text, reply_markup=keyboard(rows))


async def show_material(update: Update, context: BranchContext) -> None:
    """One material in full; its attachment follows as a document."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = MaterialButton.parse(query.data).material
    async with context.unit() as session:
        material = await fa.get_material(session, context.actor, material_id)
        dispatched = None
        if is_admin(context):
            status = await fa.material_status(session, context.actor, material.id, env=env_of(context))
            dispatched = len(status.studied) + len(status.unstudied)
    text = render(
        "first_agenda/material.html.j2",
        context.tr.locale,
        material=material,
        kind_names=fa.KIND_NAMES,
        heading=None,
        dispatched_to=dispatched,
    )
    await query.answer()
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=_material_buttons(context, material))
    if material.attachment_file_id:
        await context.bot.send_document(
            update.effective_chat.id, material.attachment_file_id, caption=material.title[:1000], parse_mode=None
        )


async def ask_dispatch(update: Update, context: BranchContext) -> None:
    """Ask the administrator to confirm a dispatch, saying how many branches it reaches."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = MaterialButton.parse(query.data).material
    async with context.unit() as session:
        result = await fa.preview_dispatch(session, context.actor, material_id)
    tr = context.tr
    if not result.new:
        raise Conflict(
            N_("《%(title)s》 has already been dispatched to every branch of %(org)s."),
            title=result.material.title,
            org=result.target.name,
        )
    text = render("first_agenda/dispatch_confirm.html.j2", tr.locale, result=result)
    markup = keyboard(
        [
            [
                (
                    tr.gettext(N_("Dispatch")),
                    MaterialButton(material=material_id, action=MaterialAction.CONFIRM).pack(),
                ),
                (tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack()),
            ]
        ]
    )
    await reply(update, text, reply_markup=markup)


async def confirm_dispatch(update: Update, context: BranchContext) -> None:
    """Dispatch: one notice per branch secretary, queued with the dispatch itself."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = MaterialButton.parse(query.data).material
    async with context.unit() as session:
        result = await fa.dispatch_material(session, context.actor, material_id, env=env_of(context))
    await show(update, render("first_agenda/dispatched.html.j2", context.tr.locale, result=result))


async def cancel_button(update: Update, context: BranchContext) -> None:
    """A cancel button outside any flow (the dispatch confirmation)."""
    await cancelled(update, context)


async def material_study(update: Update, context: BranchContext) -> None:
    """Which branches have studied a dispatched material, after how many days, and which have not."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = MaterialButton.parse(query.data).material
    async with context.unit() as session:
        status = await fa.material_status(session, context.actor, material_id, env=env_of(context))
    await reply(update, render("first_agenda/material_status.html.j2", context.tr.locale, status=status))


# The add-material flow: one line, or step by step.


def _add(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    state: dict[str, Any] = context.user_data.setdefault(ADD, {})
    return state


def _leader_or_admin(actor: Actor | None) -> bool:
    return actor is not None and (actor.leads_branch or actor.is_admin)


async def _saved_material(update: Update, context: BranchContext, material: StudyMaterial) -> None:
    tr = context.tr
    text = render(
        "first_agenda/material.html.j2",
        tr.locale,
        material=material,
        kind_names=fa.KIND_NAMES,
        heading="✅ " + tr.gettext(N_("Saved in the catalog")),
        dispatched_to=None,
    )
    await show(update, text, _material_buttons(context, material))


async def add_start(update: Update, context: BranchContext) -> int:
    """/addmaterial: with "title | source | date | type | link or text" save at once, else ask step by step."""
    if not _leader_or_admin(context.caller.actor):
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    assert context.user_data is not None
    context.user_data.pop(ADD, None)
    message = update.message
    line = ""
    if message is not None and message.text:
        line = message.text.split(maxsplit=1)[1] if len(message.text.split(maxsplit=1)) > 1 else ""
    if line.strip():
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) < 3:
            raise InvalidInput(
                N_(
                    "Write: /addmaterial title | source | date | type | link or text (the last two may be left "
                    "out), or send /addmaterial alone and answer the questions one by one."
                )
            )
        extra = "|".join(parts[4:]).strip() if len(parts) > 4 else ""
        async with context.unit(then=END) as session:
            material = await fa.add_material(
                session,
                context.actor,
                title=parts[0],
                source=parts[1],
                issued_on=parse_date(parts[2], env_of(context).today(), prefer="past"),
                kind=fa.parse_material_kind(parts[3]) if len(parts) > 3 else None,
                url=extra if extra.startswith(("http://", "https://")) else None,
                body=None if extra.startswith(("http://", "https://")) else extra,
                env=env_of(context),
            )
        await _saved_material(update, context, material)
        return END
    await reply(update, context.tr.gettext(N_("The title of the material? (/cancel to stop)")))
    return A_TITLE


async def add_title(update: Update, context: BranchContext) -> int:
    """The title: ask for the source."""
    assert update.message is not None and update.message.text is not None
    _add(context)["title"] = fa.validate_title(update.message.text)
    await reply(update, context.tr.gettext(N_("Who issued it (for example 新华社, 人民日报, 中央办公厅)?")))
    return A_SOURCE


async def add_source(update: Update, context: BranchContext) -> int:
    """The source: ask for the date."""
    assert update.message is not None and update.message.text is not None
    source = " ".join(update.message.text.split())
    if len(source) > fa.MAX_SOURCE:
        raise InvalidInput(N_("The source is too long (at most %(max)s characters)."), max=fa.MAX_SOURCE)
    _add(context)["source"] = source
    await reply(update, context.tr.gettext(N_("On what date was it given or issued? Type it like 15 Dec 2026.")))
    return A_DATE


async def add_date(update: Update, context: BranchContext) -> int:
    """The date (not in the future): ask for the type."""
    assert update.message is not None and update.message.text is not None
    env = env_of(context)
    issued_on = fa.validate_issued_on(parse_date(update.message.text, env.today(), prefer="past"), env)
    _add(context)["issued_on"] = issued_on.isoformat()
    tr = context.tr
    kinds = [(tr.gettext(fa.KIND_NAMES[kind]), KindButton(kind=kind).pack()) for kind in MaterialKind]
    await reply(update, tr.gettext(N_("What is it?")), reply_markup=keyboard([kinds[:2], kinds[2:]]))
    return A_KIND


async def add_kind(update: Update, context: BranchContext) -> int:
    """The type: ask for the text, a link or a file."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _add(context)["kind"] = KindButton.parse(query.data).kind
    tr = context.tr
    await show(
        update,
        tr.gettext(N_("Send the text, a link, or the file (PDF, Word); or press Skip.")),
        keyboard([[(tr.gettext(N_("Skip")), StepButton(step=Step.SKIP).pack())]]),
    )
    return A_BODY


async def _add_confirm(update: Update, context: BranchContext) -> int:
    state = _add(context)
    tr = context.tr
    draft = StudyMaterial(
        title=state["title"],
        source=state["source"],
        issued_on=date.fromisoformat(state["issued_on"]),
        kind=state["kind"],
        url=state.get("url"),
        body=state.get("body"),
        attachment_file_id=state.get("file_id"),
        attachment_name=state.get("file_name"),
    )
    text = render(
        "first_agenda/material.html.j2",
        tr.locale,
        material=draft,
        kind_names=fa.KIND_NAMES,
        heading=tr.gettext(N_("Save this material?")),
        dispatched_to=None,
    )
    await show(
        update,
        text,
        keyboard(
            [
                [
                    (tr.gettext(N_("Save")), StepButton(step=Step.ADD_SAVE).pack()),
                    (tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack()),
                ]
            ]
        ),
    )
    return A_CONFIRM


async def add_body(update: Update, context: BranchContext) -> int:
    """Text, a link, or a document."""
    message = update.message
    assert message is not None
    state = _add(context)
    if message.document is not None:
        state["file_id"] = message.document.file_id
        state["file_name"] = message.document.file_name or ""
        if message.caption:
            state["body"] = message.caption
    elif message.text:
        text = message.text.strip()
        if text.startswith(("http://", "https://")) and " " not in text:
            state["url"] = text
        else:
            state["body"] = text
    return await _add_confirm(update, context)


async def add_skip(update: Update, context: BranchContext) -> int:
    """No text, link or file."""
    return await _add_confirm(update, context)


async def add_save(update: Update, context: BranchContext) -> int:
    """Save the material in the catalog."""
    state = _add(context)
    async with context.unit(then=END) as session:
        material = await fa.add_material(
            session,
            context.actor,
            title=state["title"],
            source=state["source"],
            issued_on=date.fromisoformat(state["issued_on"]),
            kind=state["kind"],
            body=state.get("body"),
            url=state.get("url"),
            attachment_file_id=state.get("file_id"),
            attachment_name=state.get("file_name"),
            env=env_of(context),
        )
    assert context.user_data is not None
    context.user_data.pop(ADD, None)
    await _saved_material(update, context, material)
    return END
