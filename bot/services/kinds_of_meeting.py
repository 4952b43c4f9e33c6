"""The kinds of meeting a branch (or a unit's Party body) must hold, and the tags a meeting can carry.

One table, in code: ids (used on the command line and in JSON), names in both languages (msgids are the
English names; the Chinese is the catalog's), how often the regulations require them (glossary.md), and
whether the study of the first agenda item (第一议题, measure 7) is required, optional or not expected.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.i18n import N_


class Period(enum.StrEnum):
    """How often something is required."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    NONE = "none"  # no fixed frequency


class FirstAgenda(enum.StrEnum):
    """Whether a kind of meeting opens with the first agenda item (measure 7)."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


class HeldBy(enum.StrEnum):
    """Which body holds the meeting."""

    BRANCH = "branch"
    GROUP = "group"  # each Party group of the branch
    UNIT = "unit"  # the unit's leading Party group / Party committee: recorded by its administrators (the
    # members of that body are not on the branch roster, so no attendance is kept)


@dataclass(frozen=True)
class MeetingKind:
    """A kind of meeting."""

    id: str
    name_zh: str
    name_en: str  # also the msgid of the localized name
    period: Period
    times_per_period: int
    first_agenda: FirstAgenda
    held_by: HeldBy = HeldBy.BRANCH
    committee_only: bool = False  # attended by the branch committee (secretary and committee members) only


@dataclass(frozen=True)
class MeetingTag:
    """Something a meeting can carry that is itself required (e.g. yearly Party Constitution study)."""

    id: str
    name_zh: str
    name_en: str
    period: Period
    times_per_period: int


MEETING_KINDS: tuple[MeetingKind, ...] = (
    MeetingKind(
        "general_meeting", "支部党员大会", N_("Branch general meeting"), Period.QUARTER, 1, FirstAgenda.REQUIRED
    ),
    MeetingKind(
        "committee_meeting",
        "支部委员会会议",
        N_("Branch committee meeting"),
        Period.MONTH,
        1,
        FirstAgenda.REQUIRED,
        committee_only=True,
    ),
    MeetingKind(
        "group_meeting", "党小组会", N_("Party group meeting"), Period.MONTH, 1, FirstAgenda.REQUIRED, HeldBy.GROUP
    ),
    MeetingKind("party_lesson", "党课", N_("Party lesson"), Period.QUARTER, 1, FirstAgenda.OPTIONAL),
    MeetingKind("theme_day", "主题党日", N_("Theme Party day"), Period.MONTH, 1, FirstAgenda.OPTIONAL),
    MeetingKind(
        "org_life_meeting", "组织生活会", N_("Organisational-life meeting"), Period.YEAR, 1, FirstAgenda.REQUIRED
    ),
    MeetingKind(
        "democratic_appraisal", "民主评议党员", N_("Democratic appraisal of members"), Period.YEAR, 1, FirstAgenda.NONE
    ),
    MeetingKind(
        "leading_group_meeting",
        "党组（党委）会议",
        N_("Leading Party group / Party committee meeting"),
        Period.NONE,
        0,
        FirstAgenda.REQUIRED,
        HeldBy.UNIT,
    ),
    MeetingKind(
        "study_group_session",
        "理论学习中心组学习",
        N_("Central study group session"),
        Period.NONE,
        0,
        FirstAgenda.REQUIRED,
        HeldBy.UNIT,
    ),
)

MEETING_TAGS: tuple[MeetingTag, ...] = (
    MeetingTag("loyalty_life", "以对党忠诚为主题的党内政治生活", N_("Loyalty-themed political life"), Period.YEAR, 1),
    MeetingTag("constitution_study", "党章学习", N_("Party Constitution study"), Period.YEAR, 1),
    MeetingTag("oath_renewal", "重温入党誓词", N_("Renewal of the admission oath"), Period.NONE, 0),
    MeetingTag("political_birthdays", "过政治生日", N_("Political birthdays marked"), Period.NONE, 0),
    MeetingTag("secretary_lesson", "书记讲党课", N_("Party lesson given by the secretary"), Period.YEAR, 1),
)

KINDS_BY_ID = {kind.id: kind for kind in MEETING_KINDS}
TAGS_BY_ID = {tag.id: tag for tag in MEETING_TAGS}


def kind(kind_id: str) -> MeetingKind:
    """The kind with this id; KeyError for an unknown one (callers turn it into a clear message)."""
    return KINDS_BY_ID[kind_id]
