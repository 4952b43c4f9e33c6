"""How meetings read in a message: localized names, local dates and times (through :mod:`bot.date_style`, the
one date style), status labels.

Templates get :class:`MeetingView` objects with everything already formatted for the reader's language and
the configured time zone, so no template does time-zone arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import date_style
from bot.i18n import N_, translator
from bot.services.kinds_of_meeting import KINDS_BY_ID, TAGS_BY_ID
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


def day_text(value: date | datetime, locale: str, tz: ZoneInfo, *, year: bool | None = None) -> str:
    """``12月15日（周二）`` / ``Tue 15 Dec`` (the year when it is not this year): :func:`bot.date_style.day`."""
    return date_style.day(value, locale, tz=tz, year=year)


def short_day(value: date, locale: str) -> str:
    """``12月15日（周二）`` / ``Tue 15 Dec``: for buttons (the one date style, :mod:`bot.date_style`)."""
    return date_style.day(value, locale)


def long_date(value: date, locale: str) -> str:
    """``12月31日`` / ``31 Dec`` (the year when it is not this year), without the weekday: a due date."""
    return date_style.day(value, locale, weekday=False)


def clock_text(value: datetime, tz: ZoneInfo) -> str:
    """``14:30`` in the configured zone."""
    return date_style.clock_time(value, tz)


def when_text(value: datetime, locale: str, tz: ZoneInfo) -> str:
    """``12月15日（周二）14:30`` / ``Tue 15 Dec, 14:30``: :func:`bot.date_style.moment`."""
    return date_style.moment(value, locale, tz=tz)


def period_text(start: date, period: str, locale: str) -> str:
    """A month, quarter or year as people say it (``2026年12月``, ``2026年第四季度``, ``2026年``) from its start."""
    if period == "month":
        return date_style.month(start.year, start.month, locale)
    if period == "quarter":
        return date_style.quarter(start.year, (start.month - 1) // 3 + 1, locale)
    return date_style.year_name(start.year, locale)


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


@dataclass(frozen=True)
class MeetingLine:
    """A meeting as one line of a report names it: its short day and its kind (as :class:`MeetingView` has them)."""

    day: str
    title: str

    @classmethod
    def of(cls, kind: str, starts_at: datetime, locale: str, tz: ZoneInfo) -> MeetingLine:
        """The line of a meeting of ``kind`` starting at ``starts_at``, for ``locale``."""
        return cls(day=short_day(starts_at.astimezone(tz).date(), locale), title=kind_name(kind, locale))
