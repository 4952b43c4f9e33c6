"""The first agenda item (第一议题, measure 7): what each meeting studied first, the study materials that
administrators dispatch, and how promptly each branch studies them.

Rules in one place, for chat, console and command line alike:

* A material is in the catalog of one organisation (``owner_org_id``). A branch sees the catalogs of its own
  organisation and of every organisation above it, plus whatever was dispatched to it; an administrator
  sees the catalogs of their subtree and above.
* Dispatching stores one row per (material, branch) under a unique key and queues one notice per branch,
  to its secretary, under the dedup key ``fa-dispatch:<material>:<branch>``; dispatching again tells nobody twice.
* A meeting "has" its first agenda item when one is recorded with at least one material; it "needed" one when
  its kind requires it (:mod:`bot.services.kinds_of_meeting`). Only meetings that have taken place count
  (not cancelled, started by now).
* A branch "studied" a dispatched material at the first such meeting listing it; the study lag is the number
  of local days from the dispatch to that meeting (0 when it was studied before the dispatch came).
* ``actor=None`` means the command line: an operator with full rights, audited as ``cli``.

What it adds to meetings (closing check, card lines and button, command-line recorder) is :data:`MEETING_HOOKS`,
declared with the feature in bot/features.py; its nudge job is in bot/jobs/first_agenda.py.
"""

from bot.services.first_agenda.catalog import (
    FIRST_PARTY_DAY,
    FORM_NAMES,
    KIND_NAMES,
    MAX_BODY,
    MAX_LEADER,
    MAX_MATERIALS_PER_ITEM,
    MAX_NOTE,
    MAX_SOURCE,
    MAX_TITLE,
    MAX_URL,
    BranchMaterial,
    CatalogEntry,
    Who,
    add_material,
    ancestor_ids,
    catalog,
    get_material,
    materials_by_id,
    materials_for_org,
    may_carry_first_agenda,
    meeting_kind_name,
    needs_first_agenda,
    parse_material_ids,
    parse_material_kind,
    validate_issued_on,
    validate_title,
)
from bot.services.first_agenda.compliance import (
    BranchCompliance,
    MaterialBranchStatus,
    MaterialStatus,
    compliance,
    material_status,
    period_bounds,
    rank_key,
    studied_early,
    study_lag,
    study_progress,
)
from bot.services.first_agenda.dispatch import (
    DispatchResult,
    branch_recipient,
    dispatch_material,
    preview_dispatch,
    view_button,
)
from bot.services.first_agenda.hooks import (
    MEETING_HOOKS,
    MENU_DESCRIPTIONS,
    card_buttons,
    card_lines,
    closing_check,
    meeting_details,
)
from bot.services.first_agenda.nudges import NUDGE_JOB_ID, NUDGE_LOCAL_TIME, nudge_unstudied
from bot.services.first_agenda.recording import (
    ItemView,
    RecordingContext,
    check_material_for_meeting,
    first_agenda_of,
    leader_candidates,
    record_first_agenda,
    record_from_command_line,
    recording_context,
)

__all__ = [
    "FIRST_PARTY_DAY",
    "FORM_NAMES",
    "KIND_NAMES",
    "MAX_BODY",
    "MAX_LEADER",
    "MAX_MATERIALS_PER_ITEM",
    "MAX_NOTE",
    "MAX_SOURCE",
    "MAX_TITLE",
    "MAX_URL",
    "MEETING_HOOKS",
    "MENU_DESCRIPTIONS",
    "NUDGE_JOB_ID",
    "NUDGE_LOCAL_TIME",
    "BranchCompliance",
    "BranchMaterial",
    "CatalogEntry",
    "DispatchResult",
    "ItemView",
    "MaterialBranchStatus",
    "MaterialStatus",
    "RecordingContext",
    "Who",
    "add_material",
    "ancestor_ids",
    "branch_recipient",
    "card_buttons",
    "card_lines",
    "catalog",
    "check_material_for_meeting",
    "closing_check",
    "compliance",
    "dispatch_material",
    "first_agenda_of",
    "get_material",
    "leader_candidates",
    "material_status",
    "materials_by_id",
    "materials_for_org",
    "may_carry_first_agenda",
    "meeting_details",
    "meeting_kind_name",
    "needs_first_agenda",
    "nudge_unstudied",
    "parse_material_ids",
    "parse_material_kind",
    "period_bounds",
    "preview_dispatch",
    "rank_key",
    "record_first_agenda",
    "record_from_command_line",
    "recording_context",
    "studied_early",
    "study_lag",
    "study_progress",
    "validate_issued_on",
    "validate_title",
    "view_button",
]
