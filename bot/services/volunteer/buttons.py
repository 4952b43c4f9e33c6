"""Every volunteer button, declared once with the codec (bot/callbacks.py).

The data of a button is re-checked against the database and the presser's rights every time; a forged or stale
one is refused quietly by the codec. One declaration per handler, so each handler's pattern is its button's
``.pattern()``. Prefixes: ``vc…`` communities, ``va…`` activities, ``vn…`` posting an activity, ``vp…`` a
self-report, ``vr…`` the approval queue, ``vh…`` hours to confirm or correct, ``vs`` totals.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from bot.callbacks import CallbackData, Id

# Communities (到社区报到) -------------------------------------------------------------------------------


class CommunityPick(CallbackData, prefix="vc"):
    """Register with this community (or choose it in a search)."""

    community: Id


class CommunityChange(CallbackData, prefix="vcc"):
    """Start choosing another community."""

    change: Literal["go"] = "go"


class CommunityView(CallbackData, prefix="vcv"):
    """A leader's view of the registrations: who registered (branch) or members per community (admin)."""

    view: Literal["list", "counts"]


# Activities -------------------------------------------------------------------------------------------


class ActivityAction(StrEnum):
    """What a press on an activity's card does; none opens the card."""

    JOIN = "join"
    LEAVE = "leave"
    CHECK_OUT = "out"
    ROLL = "roll"
    QR = "qr"
    MAP = "map"
    EDIT = "ed"  # the menu of fields
    CANCEL = "cx"  # asks to confirm
    CANCEL_YES = "cxy"


class ActivityButton(CallbackData, prefix="va"):
    """A press on an activity: open its card, or one of its actions."""

    activity: Id
    action: ActivityAction | None = None


class EditField(StrEnum):
    """The fields of an activity its publisher may change (bot.services.volunteer.manage.FIELDS)."""

    TITLE = "title"
    WHEN = "when"
    SLOTS = "slots"
    PLACE = "place"
    SKILLS = "skills"
    DESCRIPTION = "description"


class ActivityEdit(CallbackData, prefix="vae"):
    """Change one field of an activity (starts the edit flow)."""

    activity: Id
    field: EditField


class ActivityLocate(CallbackData, prefix="val"):
    """Check in with my location (starts the location flow)."""

    activity: Id


# Posting an activity ----------------------------------------------------------------------------------


class NewCommunity(CallbackData, prefix="vnc"):
    """The community of the activity being posted."""

    community: Id


class NewSkip(CallbackData, prefix="vns"):
    """Skip an optional step of posting."""

    skip: Literal["go"] = "go"


class NewDispatch(CallbackData, prefix="vnd"):
    """Tick or untick a branch the activity goes to; without an organisation: done."""

    org: Id | None = None


class NewConfirm(CallbackData, prefix="vn"):
    """Publish the activity, or drop it."""

    choice: Literal["go", "x"]


# A self-report ----------------------------------------------------------------------------------------


class ReportDay(CallbackData, prefix="vpd"):
    """The day of the service: today or yesterday."""

    yesterday: bool


class ReportCommunity(CallbackData, prefix="vpc"):
    """Where the service was: the member's community."""

    community: Id


class ReportPhotosDone(CallbackData, prefix="vpp"):
    """No more photos."""

    done: Literal["go"] = "go"


class ReportConfirm(CallbackData, prefix="vp"):
    """Send the report, or drop it."""

    choice: Literal["send", "x"]


# The approval queue and hours -------------------------------------------------------------------------


class ReportApprove(CallbackData, prefix="vr"):
    """Approve one report: from its notice (``ok``) or from the queue, which is shown again (``okq``)."""

    report: Id
    where: Literal["ok", "okq"] = "ok"


class ReportApproveRange(CallbackData, prefix="vra"):
    """Approve every pending report of the page shown (ids from ``first`` to ``last``)."""

    first: Id
    last: Id


class ReportReject(CallbackData, prefix="vrn"):
    """Reject a report (starts the flow asking why)."""

    report: Id


class ReportTick(CallbackData, prefix="vrt"):
    """Tick or untick a report in the queue."""

    report: Id


class ReportApproveSelected(CallbackData, prefix="vrs"):
    """Approve the reports ticked in the queue."""

    go: Literal["go"] = "go"


class HoursConfirm(CallbackData, prefix="vh"):
    """Confirm the hours of a check-out closed automatically."""

    signup: Id


class HoursFix(CallbackData, prefix="vhf"):
    """Correct the hours of a check-out (starts the flow asking for them)."""

    signup: Id


PeriodName = Literal["month", "quarter", "year"]  # bot.services.volunteer.timing.Period.ALL


class ServicePeriod(CallbackData, prefix="vs"):
    """Totals for another period."""

    period: PeriodName


def leave_button(activity_id: int, label: str) -> list[list[tuple[str, CallbackData]]]:
    """The one button under a notice to someone signed up or waiting: leave the activity (cancel the place, or
    leave the waiting list: ``label`` says which)."""
    return [[(label, ActivityButton(activity=activity_id, action=ActivityAction.LEAVE))]]
