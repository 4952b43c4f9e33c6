"""The first agenda item (第一议题) in chat: recording what a meeting studied first, the study materials
(catalog, adding, dispatching), /firstagenda compliance, and the daily nudge job.

Callback data (all re-checked by the services against the database and the caller's rights):
``fa:m:<meeting>`` record for a meeting (the meeting card's button) · ``fa:pk:<material>`` / ``fa:pd`` pick
materials / done · ``fa:fm:<form>`` form of study · ``fa:ld:<member>`` who led it · ``fa:ns`` no note ·
``fa:sv`` save · ``fa:x`` cancel · ``fa:mat:<id>`` show a material · ``fa:dsp:<id>`` / ``fa:dsy:<id>`` dispatch,
then confirm · ``fa:ms:<id>`` a material's study by branch · ``fa:r:<period>`` the report for a period ·
``fa:add`` / ``fa:ak:<type>`` / ``fa:as`` / ``fa:ay`` the add-material flow.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.clock import now_utc
from bot.context import BranchContext
from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.services import first_agenda as fa
from bot.services.access import Actor
from bot.services.meetings.format import when_text
from bot.templates import render
from handlers.common import keyboard, leaders_only, reply, show
from handlers.flows import END, Flow
from storage.first_agenda import MaterialKind, StudyForm, StudyMaterial
from storage.meetings import Meeting

REC = "fa_rec"  # user_data key of the recording flow
ADD = "fa_add"  # user_data key of the add-material flow
PICK, FORM, LEADER, NOTE, CONFIRM = range(5)
A_TITLE, A_SOURCE, A_DATE, A_KIND, A_BODY, A_CONFIRM = range(10, 16)
BUTTON_TITLE = 48  # characters of a title shown on a button
PERIODS = ("quarter", "year", "last_year")
PERIOD_NAMES = {
    "quarter": N_("This quarter"),
    "year": N_("This year"),
    "last_year": N_("Last year"),
}


def _short(title: str) -> str:
    return title if len(title) <= BUTTON_TITLE else title[: BUTTON_TITLE - 1] + "…"


def _today(context: BranchContext) -> date:
    return now_utc().astimezone(context.resources.settings.tz).date()


# --------------------------------------------------------------------------------------------------------------
# Recording a meeting's first agenda item


def _rec(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    state: dict[str, Any] = context.user_data.setdefault(REC, {})
    return state


async def _pick_screen(update: Update, context: BranchContext, *, edit: bool) -> None:
    """The list of materials to pick from, with the current choice ticked."""
    state = _rec(context)
    tr = context.tr
    async with context.unit() as session:
        ctx = await fa.recording_context(session, context.actor, state["meeting"])
        chosen_ids: list[int] = state["picked"]
        titles = {c.material.id: c.material.title for c in ctx.candidates}
        for material_id in chosen_ids:
            if material_id not in titles:
                material = await session.get(StudyMaterial, material_id)
                titles[material_id] = material.title if material else f"#{material_id}"
    rows: list[list[tuple[str, str]]] = []
    for candidate in ctx.candidates:
        mark = "✓ " if candidate.material.id in chosen_ids else ("📌 " if candidate.dispatched_at else "")
        rows.append([(mark + _short(candidate.material.title), f"fa:pk:{candidate.material.id}")])
    rows.append([(tr.gettext(N_("Done")), "fa:pd"), (tr.gettext(N_("Cancel")), "fa:x")])
    text = render(
        "first_agenda/pick.html.j2",
        tr.locale,
        kind_name=fa.meeting_kind_name(ctx.meeting.kind, tr.locale),
        when=when_text(ctx.meeting.starts_at, tr.locale, context.resources.settings.tz),
        current=ctx.current is not None,
        chosen=[titles[i] for i in chosen_ids] + list(state["typed"]),
    )
    if edit:
        await show(update, text, keyboard(rows))
    else:
        await reply(update, text, reply_markup=keyboard(rows))


async def record_start(update: Update, context: BranchContext) -> int:
    """Start recording the first agenda item of a meeting (the meeting card's "第一议题" button)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    meeting_id = int(query.data.split(":")[2])
    async with context.unit() as session:
        ctx = await fa.recording_context(session, context.actor, meeting_id)
    assert context.user_data is not None
    current = ctx.current
    context.user_data[REC] = {
        "meeting": meeting_id,
        # Recording again starts from what is stored, so a correction is one press away.
        "picked": [m.id for m in current.materials] if current else [],
        "typed": [],
        "form": current.item.form if current else None,
        "leader_id": current.item.led_by_id if current else None,
        "leader_name": current.item.led_by_name if current else None,
        "note": current.item.note if current else None,
    }
    await _pick_screen(update, context, edit=False)  # a new message: the card stays as it was
    return PICK


async def toggle_material(update: Update, context: BranchContext) -> int:
    """Select or unselect a listed material."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = int(query.data.split(":")[2])
    state = _rec(context)
    async with context.unit() as session:
        await fa.check_material_for_meeting(session, context.actor, state["meeting"], material_id)
    picked: list[int] = state["picked"]
    if material_id in picked:
        picked.remove(material_id)
    else:
        if len(picked) + len(state["typed"]) >= fa.MAX_MATERIALS_PER_ITEM:
            raise InvalidInput(N_("At most %(max)s materials per meeting."), max=fa.MAX_MATERIALS_PER_ITEM)
        picked.append(material_id)
    await _pick_screen(update, context, edit=True)
    return PICK


async def typed_material(update: Update, context: BranchContext) -> int:
    """A typed title (or #ID) adds a material that is not on the list."""
    assert update.message is not None and update.message.text is not None
    state = _rec(context)
    text = update.message.text.strip()
    ids = fa.parse_material_ids(text) if text.startswith("#") else None
    if len(state["picked"]) + len(state["typed"]) >= fa.MAX_MATERIALS_PER_ITEM:
        raise InvalidInput(N_("At most %(max)s materials per meeting."), max=fa.MAX_MATERIALS_PER_ITEM)
    if ids:
        async with context.unit() as session:
            for material_id in ids:
                await fa.check_material_for_meeting(session, context.actor, state["meeting"], material_id)
        state["picked"].extend(i for i in ids if i not in state["picked"])
    else:
        title = fa.validate_title(text)
        if title not in state["typed"]:
            state["typed"].append(title)
    await _pick_screen(update, context, edit=False)
    return PICK


def _form_keyboard(context: BranchContext) -> InlineKeyboardMarkup | None:
    tr = context.tr
    forms = [(tr.gettext(fa.FORM_NAMES[form]), f"fa:fm:{form.value}") for form in StudyForm]
    return keyboard([forms[:2], forms[2:], [(tr.gettext(N_("Cancel")), "fa:x")]])


async def done_picking(update: Update, context: BranchContext) -> int:
    """The materials are chosen: ask how they were studied."""
    query = update.callback_query
    assert query is not None
    state = _rec(context)
    if not state["picked"] and not state["typed"]:
        await query.answer(context.tr.gettext(N_("Pick or type at least one material first.")), show_alert=True)
        return PICK
    await show(update, context.tr.gettext(N_("How was it studied?")), _form_keyboard(context))
    return FORM


async def form_chosen(update: Update, context: BranchContext) -> int:
    """The form of study is chosen: ask who led it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    value = query.data.split(":")[2]
    if value not in {form.value for form in StudyForm}:
        raise InvalidInput(N_("Unknown form of study %(value)s."), value=value)
    state = _rec(context)
    state["form"] = value
    async with context.unit() as session:
        ctx = await fa.recording_context(session, context.actor, state["meeting"])
    tr = context.tr
    rows = [[(member.name, f"fa:ld:{member.id}")] for member in ctx.leaders[:8]]
    rows.append([(tr.gettext(N_("Cancel")), "fa:x")])
    await show(update, tr.gettext(N_("Who led the study? Press a name, or type the name.")), keyboard(rows))
    return LEADER


async def _ask_note(update: Update, context: BranchContext) -> int:
    tr = context.tr
    markup = keyboard([[(tr.gettext(N_("No note")), "fa:ns"), (tr.gettext(N_("Cancel")), "fa:x")]])
    text = tr.gettext(
        N_("A short note on the study (what was discussed, what the branch will do)? Type it, or press No note.")
    )
    await show(update, text, markup)
    return NOTE


async def leader_chosen(update: Update, context: BranchContext) -> int:
    """A listed person led the study."""
    query = update.callback_query
    assert query is not None and query.data is not None
    state = _rec(context)
    member_id = int(query.data.split(":")[2])
    async with context.unit() as session:
        ctx = await fa.recording_context(session, context.actor, state["meeting"])
    leader = next((m for m in ctx.leaders if m.id == member_id), None)
    if leader is None:
        raise InvalidInput(N_("The person who led the study must be on this branch's roster."))
    state["leader_id"], state["leader_name"] = leader.id, leader.name
    return await _ask_note(update, context)


async def leader_typed(update: Update, context: BranchContext) -> int:
    """A typed name led the study (a member not listed, or a guest lecturer)."""
    assert update.message is not None and update.message.text is not None
    name = " ".join(update.message.text.split())
    if len(name) > fa.MAX_LEADER:
        raise InvalidInput(N_("The name is too long (at most %(max)s characters)."), max=fa.MAX_LEADER)
    state = _rec(context)
    state["leader_id"], state["leader_name"] = None, name
    return await _ask_note(update, context)


async def _confirm_screen(update: Update, context: BranchContext) -> int:
    state = _rec(context)
    tr = context.tr
    async with context.unit() as session:
        ctx = await fa.recording_context(session, context.actor, state["meeting"])
        titles = []
        for material_id in state["picked"]:
            material = await session.get(StudyMaterial, material_id)
            titles.append(material.title if material else f"#{material_id}")
    text = render(
        "first_agenda/summary.html.j2",
        tr.locale,
        saved=False,
        kind_name=fa.meeting_kind_name(ctx.meeting.kind, tr.locale),
        when=when_text(ctx.meeting.starts_at, tr.locale, context.resources.settings.tz),
        titles=titles + list(state["typed"]),
        form=state["form"],
        form_names=fa.FORM_NAMES,
        leader=state["leader_name"],
        note=state["note"],
    )
    await show(update, text, keyboard([[(tr.gettext(N_("Save")), "fa:sv"), (tr.gettext(N_("Cancel")), "fa:x")]]))
    return CONFIRM


async def no_note(update: Update, context: BranchContext) -> int:
    """No note: show the summary."""
    _rec(context)["note"] = None
    return await _confirm_screen(update, context)


async def note_typed(update: Update, context: BranchContext) -> int:
    """The note: show the summary."""
    assert update.message is not None and update.message.text is not None
    note = update.message.text.strip()
    if len(note) > fa.MAX_NOTE:
        raise InvalidInput(N_("The note is too long (at most %(max)s characters)."), max=fa.MAX_NOTE)
    _rec(context)["note"] = note
    return await _confirm_screen(update, context)


async def save_record(update: Update, context: BranchContext) -> int:
    """Save the first agenda item, then show what was stored."""
    state = _rec(context)
    tr = context.tr
    async with context.unit(then=END) as session:
        view = await fa.record_first_agenda(
            session,
            context.actor,
            state["meeting"],
            material_ids=state["picked"],
            typed_titles=state["typed"],
            form=state["form"],
            led_by_id=state["leader_id"],
            led_by_name=state["leader_name"],
            note=state["note"],
        )
        meeting = await session.get(Meeting, state["meeting"])
        assert meeting is not None
    text = render(
        "first_agenda/summary.html.j2",
        tr.locale,
        saved=True,
        kind_name=fa.meeting_kind_name(meeting.kind, tr.locale),
        when=when_text(meeting.starts_at, tr.locale, context.resources.settings.tz),
        titles=[m.title for m in view.materials],
        form=view.item.form,
        form_names=fa.FORM_NAMES,
        leader=view.item.led_by_name,
        note=view.item.note,
    )
    assert context.user_data is not None
    context.user_data.pop(REC, None)
    back = keyboard([[(tr.gettext(N_("« Back to the meeting")), f"mt:{meeting.id}:card")]])
    await show(update, text, back)
    return END


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave the flow; nothing was saved."""
    assert context.user_data is not None
    context.user_data.pop(REC, None)
    context.user_data.pop(ADD, None)
    await show(update, context.tr.gettext(N_("Cancelled; nothing was saved.")))
    return END


# --------------------------------------------------------------------------------------------------------------
# Study materials: list, show, add, dispatch


def _is_admin(context: BranchContext) -> bool:
    return context.caller.actor is not None and context.caller.actor.is_admin


def _material_buttons(context: BranchContext, material: StudyMaterial) -> InlineKeyboardMarkup | None:
    if not _is_admin(context):
        return None
    tr = context.tr
    return keyboard(
        [
            [(tr.gettext(N_("Dispatch to all branches")), f"fa:dsp:{material.id}")],
            [(tr.gettext(N_("Who has studied it")), f"fa:ms:{material.id}")],
        ]
    )


@leaders_only
async def materials(update: Update, context: BranchContext) -> None:
    """The catalog: the latest materials, each a button."""
    async with context.unit() as session:
        entries = await fa.catalog(session, context.actor, limit=10)
    rows = [[(f"{i}. {_short(e.material.title)}", f"fa:mat:{e.material.id}")] for i, e in enumerate(entries, 1)]
    rows.append([(context.tr.gettext(N_("Add a material")), "fa:add")])
    text = render("first_agenda/materials.html.j2", context.tr.locale, entries=entries, admin=_is_admin(context))
    await reply(update, text, reply_markup=keyboard(rows))


async def show_material(update: Update, context: BranchContext) -> None:
    """One material in full; its attachment follows as a document."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = int(query.data.split(":")[2])
    async with context.unit() as session:
        material = await fa.get_material(session, context.actor, material_id)
        dispatched = None
        if _is_admin(context):
            status = await fa.material_status(session, context.actor, material.id)
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
    material_id = int(query.data.split(":")[2])
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
    markup = keyboard([[(tr.gettext(N_("Dispatch")), f"fa:dsy:{material_id}"), (tr.gettext(N_("Cancel")), "fa:x")]])
    await reply(update, text, reply_markup=markup)


async def confirm_dispatch(update: Update, context: BranchContext) -> None:
    """Dispatch: one notice per branch secretary, queued with the dispatch itself."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = int(query.data.split(":")[2])
    settings = context.resources.settings
    async with context.unit() as session:
        result = await fa.dispatch_material(session, context.actor, material_id, default_locale=settings.DEFAULT_LOCALE)
    await show(update, render("first_agenda/dispatched.html.j2", context.tr.locale, result=result))


async def cancel_button(update: Update, context: BranchContext) -> None:
    """A cancel button outside any flow (the dispatch confirmation)."""
    await show(update, context.tr.gettext(N_("Cancelled; nothing was saved.")))


async def expired_button(update: Update, context: BranchContext) -> None:
    """A button of a recording or add-material flow that has ended (saved, cancelled, or another flow begun)."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.tr.gettext(N_("This has expired. Please start again.")), show_alert=True)


async def material_study(update: Update, context: BranchContext) -> None:
    """Which branches have studied a dispatched material, after how many days, and which have not."""
    query = update.callback_query
    assert query is not None and query.data is not None
    material_id = int(query.data.split(":")[2])
    async with context.unit() as session:
        status = await fa.material_status(session, context.actor, material_id, tz=context.resources.settings.tz)
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
                    "Write: /addmaterial title | source | YYYY-MM-DD | type | link or text "
                    "(the last two may be left out)."
                )
            )
        extra = "|".join(parts[4:]).strip() if len(parts) > 4 else ""
        async with context.unit(then=END) as session:
            material = await fa.add_material(
                session,
                context.actor,
                title=parts[0],
                source=parts[1],
                issued_on=fa.parse_material_date(parts[2]),
                kind=fa.parse_material_kind(parts[3]) if len(parts) > 3 else None,
                url=extra if extra.startswith(("http://", "https://")) else None,
                body=None if extra.startswith(("http://", "https://")) else extra,
                tz=context.resources.settings.tz,
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
    await reply(update, context.tr.gettext(N_("The date of the speech or instruction (YYYY-MM-DD)?")))
    return A_DATE


async def add_date(update: Update, context: BranchContext) -> int:
    """The date (not in the future): ask for the type."""
    assert update.message is not None and update.message.text is not None
    issued_on = fa.validate_issued_on(fa.parse_material_date(update.message.text), context.resources.settings.tz)
    _add(context)["issued_on"] = issued_on.isoformat()
    tr = context.tr
    kinds = [(tr.gettext(fa.KIND_NAMES[kind]), f"fa:ak:{kind.value}") for kind in MaterialKind]
    await reply(update, tr.gettext(N_("What is it?")), reply_markup=keyboard([kinds[:2], kinds[2:]]))
    return A_KIND


async def add_kind(update: Update, context: BranchContext) -> int:
    """The type: ask for the text, a link or a file."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _add(context)["kind"] = fa.parse_material_kind(query.data.split(":")[2])
    tr = context.tr
    await show(
        update,
        tr.gettext(N_("Send the text, a link, or the file (PDF, Word); or press Skip.")),
        keyboard([[(tr.gettext(N_("Skip")), "fa:as")]]),
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
    await show(update, text, keyboard([[(tr.gettext(N_("Save")), "fa:ay"), (tr.gettext(N_("Cancel")), "fa:x")]]))
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
            tz=context.resources.settings.tz,
        )
    assert context.user_data is not None
    context.user_data.pop(ADD, None)
    await _saved_material(update, context, material)
    return END


# --------------------------------------------------------------------------------------------------------------
# /firstagenda: the branch's record, or the subtree ranked


async def _report(context: BranchContext, period: str) -> tuple[str, InlineKeyboardMarkup | None]:
    actor = context.actor
    tr = context.tr
    settings = context.resources.settings
    start, end = fa.period_bounds(period, _today(context))
    async with context.unit() as session:
        rows = await fa.compliance(session, actor, start, end, tz=settings.tz)
        buttons: list[list[tuple[str, str]]] = []
        if actor.is_admin:
            from storage.models import Organisation

            org = await session.get(Organisation, actor.org_id)
            entries = [e for e in await fa.catalog(session, actor, limit=20) if e.branches][:5]
            materials = []
            for entry in entries:
                status = await fa.material_status(session, actor, entry.material.id, tz=settings.tz)
                total = len(status.studied) + len(status.unstudied)
                materials.append({"material": entry.material, "studied": len(status.studied), "total": total})
                buttons.append([("📊 " + _short(entry.material.title), f"fa:ms:{entry.material.id}")])
            text = render(
                "first_agenda/report_admin.html.j2",
                tr.locale,
                org_name=org.name if org else "",
                rows=rows,
                start=start,
                end=end,
                materials=materials,
            )
        else:
            row = rows[0]
            titles = {
                m.id: m.title for m in [await session.get(StudyMaterial, i) for i in row.dispatched] if m is not None
            }
            dispatched = []
            for material_id in row.dispatched:
                dispatched.append(
                    {
                        "title": titles.get(material_id, f"#{material_id}"),
                        "lag": row.lag_by_material.get(material_id),
                        "waiting": row.waiting.get(material_id, 0),
                    }
                )
            missing = [
                {
                    "kind_name": fa.meeting_kind_name(m.kind, tr.locale),
                    "when": when_text(m.starts_at, tr.locale, settings.tz),
                }
                for m in row.missing
            ]
            for meeting in row.missing[:5]:
                label = tr.gettext(
                    N_("Record: %(kind)s %(date)s"),
                    kind=fa.meeting_kind_name(meeting.kind, tr.locale),
                    date=meeting.starts_at.astimezone(settings.tz).strftime("%m-%d"),
                )
                buttons.append([(label, f"fa:m:{meeting.id}")])
            text = render(
                "first_agenda/report_branch.html.j2",
                tr.locale,
                row=row,
                start=start,
                end=end,
                missing=missing,
                dispatched=dispatched,
            )
    buttons.append([(("• " if p == period else "") + tr.gettext(PERIOD_NAMES[p]), f"fa:r:{p}") for p in PERIODS])
    return text, keyboard(buttons)


@leaders_only
async def report_command(update: Update, context: BranchContext) -> None:
    """/firstagenda: this year's record; buttons switch the period."""
    text, markup = await _report(context, "year")
    await reply(update, text, reply_markup=markup)


async def report_period(update: Update, context: BranchContext) -> None:
    """Switch the report's period."""
    query = update.callback_query
    assert query is not None and query.data is not None
    period = query.data.split(":")[2]
    if period not in PERIODS:
        await query.answer()
        return
    text, markup = await _report(context, period)
    await show(update, text, markup)


# --------------------------------------------------------------------------------------------------------------
# Registration

_TEXT = filters.TEXT & ~filters.COMMAND
_FALLBACKS: list[BaseHandler[Update, BranchContext, Any]] = [
    CommandHandler("cancel", cancel),
    CallbackQueryHandler(cancel, pattern=r"^fa:x$"),
]

# Buttons and typed text share these flows, so they are tracked per user and chat, not per message; starting
# one ends the person's other guided flows (see handlers.flows).
RECORD_CONVERSATION = Flow(
    entry_points=[CallbackQueryHandler(record_start, pattern=r"^fa:m:\d+$")],
    states={
        PICK: [
            CallbackQueryHandler(toggle_material, pattern=r"^fa:pk:\d+$"),
            CallbackQueryHandler(done_picking, pattern=r"^fa:pd$"),
            MessageHandler(_TEXT, typed_material),
        ],
        FORM: [CallbackQueryHandler(form_chosen, pattern=r"^fa:fm:\w+$")],
        LEADER: [
            CallbackQueryHandler(leader_chosen, pattern=r"^fa:ld:\d+$"),
            MessageHandler(_TEXT, leader_typed),
        ],
        NOTE: [CallbackQueryHandler(no_note, pattern=r"^fa:ns$"), MessageHandler(_TEXT, note_typed)],
        CONFIRM: [CallbackQueryHandler(save_record, pattern=r"^fa:sv$")],
    },
    fallbacks=_FALLBACKS,
    name="first_agenda_record",
    user_data_keys=(REC,),
)
MATERIAL_CONVERSATION = Flow(
    entry_points=[CommandHandler("addmaterial", add_start), CallbackQueryHandler(add_start, pattern=r"^fa:add$")],
    states={
        A_TITLE: [MessageHandler(_TEXT, add_title)],
        A_SOURCE: [MessageHandler(_TEXT, add_source)],
        A_DATE: [MessageHandler(_TEXT, add_date)],
        A_KIND: [CallbackQueryHandler(add_kind, pattern=r"^fa:ak:\w+$")],
        A_BODY: [
            MessageHandler(_TEXT | filters.Document.ALL, add_body),
            CallbackQueryHandler(add_skip, pattern=r"^fa:as$"),
        ],
        A_CONFIRM: [CallbackQueryHandler(add_save, pattern=r"^fa:ay$")],
    },
    fallbacks=_FALLBACKS,
    name="first_agenda_material",
    user_data_keys=(ADD,),
)

CONVERSATIONS = [RECORD_CONVERSATION, MATERIAL_CONVERSATION]
HANDLERS: list[BaseHandler[Update, BranchContext, Any]] = [
    *CONVERSATIONS,
    CommandHandler("firstagenda", report_command),
    CommandHandler("materials", materials),
    CallbackQueryHandler(show_material, pattern=r"^fa:mat:\d+$"),
    CallbackQueryHandler(ask_dispatch, pattern=r"^fa:dsp:\d+$"),
    CallbackQueryHandler(confirm_dispatch, pattern=r"^fa:dsy:\d+$"),
    CallbackQueryHandler(material_study, pattern=r"^fa:ms:\d+$"),
    CallbackQueryHandler(report_period, pattern=r"^fa:r:\w+$"),
    CallbackQueryHandler(cancel_button, pattern=r"^fa:x$"),
    CallbackQueryHandler(expired_button, pattern=r"^fa:(pk|pd|fm|ld|ns|sv|ak|as|ay)\b"),
]
