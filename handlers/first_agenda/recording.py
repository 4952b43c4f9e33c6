"""Recording what a meeting studied first (第一议题): pick the materials, the form, who led it, a note."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services import first_agenda as fa
from bot.services.first_agenda.buttons import (
    FormButton,
    LeaderButton,
    PickButton,
    RecordButton,
    Step,
    StepButton,
)
from bot.services.meetings.buttons import MeetingAction, meeting_button
from bot.services.meetings.format import when_text
from bot.templates import render
from handlers.common import keyboard, reply, show
from handlers.first_agenda.common import ADD, REC, env_of, short
from handlers.flows import END, cancelled
from storage.first_agenda import StudyForm, StudyMaterial
from storage.meetings import Meeting

PICK, FORM, LEADER, NOTE, CONFIRM = range(5)


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
        rows.append([(mark + short(candidate.material.title), PickButton(material=candidate.material.id).pack())])
    rows.append(
        [
            (tr.gettext(N_("Done")), StepButton(step=Step.DONE).pack()),
            (tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack()),
        ]
    )
    text = render(
        "first_agenda/pick.html.j2",
        tr.locale,
        kind_name=fa.meeting_kind_name(ctx.meeting.kind, tr.locale),
        when=when_text(ctx.meeting.starts_at, tr.locale, env_of(context).tz),
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
    meeting_id = RecordButton.parse(query.data).meeting
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
    material_id = PickButton.parse(query.data).material
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
    forms = [(tr.gettext(fa.FORM_NAMES[form]), FormButton(form=form).pack()) for form in StudyForm]
    return keyboard([forms[:2], forms[2:], [(tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack())]])


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
    form = FormButton.parse(query.data).form
    state = _rec(context)
    state["form"] = form.value
    async with context.unit() as session:
        ctx = await fa.recording_context(session, context.actor, state["meeting"])
    tr = context.tr
    rows = [[(member.name, LeaderButton(member=member.id).pack())] for member in ctx.leaders[:8]]
    rows.append([(tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack())])
    await show(update, render("first_agenda/leader_pick.html.j2", tr.locale).strip(), keyboard(rows))
    return LEADER


async def _ask_note(update: Update, context: BranchContext) -> int:
    tr = context.tr
    markup = keyboard(
        [
            [
                (tr.gettext(N_("No note")), StepButton(step=Step.NO_NOTE).pack()),
                (tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack()),
            ]
        ]
    )
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
    member_id = LeaderButton.parse(query.data).member
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
        when=when_text(ctx.meeting.starts_at, tr.locale, env_of(context).tz),
        titles=titles + list(state["typed"]),
        form=state["form"],
        form_names=fa.FORM_NAMES,
        leader=state["leader_name"],
        note=state["note"],
    )
    await show(
        update,
        text,
        keyboard(
            [
                [
                    (tr.gettext(N_("Save")), StepButton(step=Step.SAVE).pack()),
                    (tr.gettext(N_("Cancel")), StepButton(step=Step.CANCEL).pack()),
                ]
            ]
        ),
    )
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
        when=when_text(meeting.starts_at, tr.locale, env_of(context).tz),
        titles=[m.title for m in view.materials],
        form=view.item.form,
        form_names=fa.FORM_NAMES,
        leader=view.item.led_by_name,
        note=view.item.note,
    )
    assert context.user_data is not None
    context.user_data.pop(REC, None)
    back = keyboard([[(tr.gettext(N_("« Back to the meeting")), meeting_button(meeting.id, MeetingAction.CARD))]])
    await show(update, text, back)
    return END


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave the flow; nothing was saved."""
    return await cancelled(update, context, REC, ADD)
