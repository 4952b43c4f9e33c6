"""How meetings read in a message: localized names, local dates and times, status labels.

Templates get :class:`MeetingView` objects with everything already formatted for the reader's language and
the configured time zone, so no template does time-zone arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton

from bot.i18n import N_, translator
from bot.services.meetings.kinds import KINDS_BY_ID, TAGS_BY_ID
from storage.meetings import AttendanceStatus, Meeting, MeetingStatus

STATUS_NAMES: dict[str, str] = {
    AttendanceStatus.NO_ANSWER: N_("no answer"),
    AttendanceStatus.ATTENDING: N_("attending"),
    AttendanceStatus.LEAVE_REQUESTED: N_("asked for leave"),
    AttendanceStatus.ON_LEAVE: N_("on leave"),
    AttendanceStatus.PRESENT: N_("present"),
    AttendanceStatus.LATE: N_("late"),
    AttendanceStatus.ABSENT: N_("absent"),
}

MEETING_STATUS_NAMES: dict[str, str] = {
    MeetingStatus.SCHEDULED: N_("scheduled"),
    MeetingStatus.CLOSED: N_("closed"),
    MeetingStatus.CANCELLED: N_("cancelled"),
}


def kind_name(kind_id: str, locale: str) -> str:
    """The localized name of a meeting kind (the id itself for an unknown one)."""
    kind = KINDS_BY_ID.get(kind_id)
    return translator(locale).gettext(kind.name_en) if kind else kind_id


def tag_name(tag_id: str, locale: str) -> str:
    """The localized name of a meeting tag."""
    tag = TAGS_BY_ID.get(tag_id)
    return translator(locale).gettext(tag.name_en) if tag else tag_id


def status_name(status: str, locale: str) -> str:
    """The localized attendance status."""
    return translator(locale).gettext(STATUS_NAMES.get(status, status))


def day_text(value: date | datetime, locale: str, tz: ZoneInfo, *, year: bool = True) -> str:
    """``2026年12月15日周二`` / ``Tue, Dec 15, 2026``."""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return format_skeleton("yMMMEd" if year else "MMMEd", value, locale=translator(locale).babel_locale)


def short_day(value: date, locale: str) -> str:
    """``12/15周二`` / ``Tue, 12/15``: for buttons."""
    return format_skeleton("MEd", value, locale=translator(locale).babel_locale)


def long_date(value: date, locale: str) -> str:
    """``2026年12月31日`` / ``December 31, 2026``."""
    return format_date(value, "long", locale=translator(locale).babel_locale)


def clock_text(value: datetime, tz: ZoneInfo) -> str:
    """``14:30`` in the configured zone."""
    return value.astimezone(tz).strftime("%H:%M")


def when_text(value: datetime, locale: str, tz: ZoneInfo) -> str:
    """``2026年12月15日周二 14:30``."""
    return f"{day_text(value, locale, tz)} {clock_text(value, tz)}"


@dataclass(frozen=True)
class MeetingView:
    """A meeting as one reader sees it (localized, local time)."""

    id: int
    kind: str
    title: str
    when: str  # day and start time
    until: str  # end time (with the day when it ends on another day)
    place: str | None
    topic: str | None
    status: str
    status_label: str
    group: str | None
    tags: list[str]
    record: str | None
    location_check: bool
    radius_m: int | None
    day: str  # short day, for buttons

    @classmethod
    def of(cls, meeting: Meeting, locale: str, tz: ZoneInfo, group_name: str | None = None) -> MeetingView:
        """Format ``meeting`` for ``locale``."""
        start_day = meeting.starts_at.astimezone(tz).date()
        end_day = meeting.ends_at.astimezone(tz).date()
        until = clock_text(meeting.ends_at, tz)
        if end_day != start_day:
            until = when_text(meeting.ends_at, locale, tz)
        return cls(
            id=meeting.id,
            kind=meeting.kind,
            title=kind_name(meeting.kind, locale),
            when=when_text(meeting.starts_at, locale, tz),
            until=until,
            place=meeting.place,
            topic=meeting.topic,
            status=meeting.status,
            status_label=translator(locale).gettext(MEETING_STATUS_NAMES.get(meeting.status, meeting.status)),
            group=group_name,
            tags=[tag_name(t, locale) for t in meeting.tags or []],
            record=meeting.record,
            location_check=meeting.radius_m is not None,
            radius_m=meeting.radius_m,
            day=short_day(start_day, locale),
        )
