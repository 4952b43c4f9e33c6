"""Volunteer service (志愿服务, 到社区报到, measure 22): communities and registrations, activities with places,
sign-ups with a waiting list, check-in and check-out, forgotten check-outs, reminders, hours corrections.

Services take an AsyncSession and never commit. Whatever is pushed to people goes through the outbox in the
same transaction as its cause, with a dedup key that makes a repeat impossible.

Places never overbook: a sign-up takes a place only through ``UPDATE activities SET taken = taken + 1 WHERE
taken < slots`` — PostgreSQL re-checks the condition on the newest row version after waiting for a concurrent
writer, SQLite runs one writer at a time — and the (activity, member) pair is unique, so a double press stores
one row. A cancellation hands its place to the first of the waiting list with a compare-and-set on the
waiting row's status, so two cancellations never promote the same member twice.

The package: ``base`` (limits), ``communities``, ``activities``, ``signups``, ``checkin``, ``scheduled`` (the
jobs' work), ``rolls`` (a leader's view and corrections), ``manage`` (editing and cancelling), ``reports``
(self-reports and approvals), ``totals`` (hours per member, branch and subtree), ``timing`` (periods, working
hours), ``texts`` (CLI and menu texts), ``buttons`` (every volunteer button). The names below are the feature's
service API, imported from their modules.
"""

from __future__ import annotations

from bot.services.volunteer.activities import (
    ActivityDraft,
    ActivityView,
    activity_view,
    create_activity,
    dispatch_activity,
    dispatch_choices,
    manages,
    span_text,
    upcoming_activities,
    validate_draft,
    visible_activity,
    when_text,
)
from bot.services.volunteer.base import (
    CHECKIN_OPENS_BEFORE,
    CHECKIN_PREFIX,
    CHECKOUT_GRACE,
    COMMUNITY_COLUMNS_OPTIONAL,
    COMMUNITY_COLUMNS_REQUIRED,
    MAX_ACTIVITY_LENGTH,
    MAX_SLOTS,
    SEARCH_LIMIT,
    TOKEN_KIND,
)
from bot.services.volunteer.checkin import (
    CheckResult,
    activity_from_token,
    activity_position,
    check_in,
    check_out,
    checkin_link,
    counted_span,
)
from bot.services.volunteer.communities import (
    MemberRegistration,
    Registration,
    branch_registrations,
    community_by_id,
    community_counts,
    current_registration,
    import_communities,
    nearest_communities,
    register_community,
    registration_history,
    resolve_community,
    search_communities,
)
from bot.services.volunteer.rolls import (
    Roll,
    RollLine,
    activity_roll,
    confirm_hours,
    correct_hours,
    flagged_checkouts,
    leader_of_signup,
)
from bot.services.volunteer.scheduled import close_forgotten_checkouts, queue_reminders, reminder_key
from bot.services.volunteer.signups import CancelResult, SignUpResult, cancel_signup, fill_places, sign_up

__all__ = [
    "CHECKIN_OPENS_BEFORE",
    "CHECKIN_PREFIX",
    "CHECKOUT_GRACE",
    "COMMUNITY_COLUMNS_OPTIONAL",
    "COMMUNITY_COLUMNS_REQUIRED",
    "MAX_ACTIVITY_LENGTH",
    "MAX_SLOTS",
    "SEARCH_LIMIT",
    "TOKEN_KIND",
    "ActivityDraft",
    "ActivityView",
    "CancelResult",
    "CheckResult",
    "MemberRegistration",
    "Registration",
    "Roll",
    "RollLine",
    "SignUpResult",
    "activity_from_token",
    "activity_position",
    "activity_roll",
    "activity_view",
    "branch_registrations",
    "cancel_signup",
    "check_in",
    "check_out",
    "checkin_link",
    "close_forgotten_checkouts",
    "community_by_id",
    "community_counts",
    "confirm_hours",
    "correct_hours",
    "counted_span",
    "create_activity",
    "current_registration",
    "dispatch_activity",
    "dispatch_choices",
    "fill_places",
    "flagged_checkouts",
    "import_communities",
    "leader_of_signup",
    "manages",
    "nearest_communities",
    "queue_reminders",
    "register_community",
    "registration_history",
    "reminder_key",
    "resolve_community",
    "search_communities",
    "sign_up",
    "span_text",
    "upcoming_activities",
    "validate_draft",
    "visible_activity",
    "when_text",
]
