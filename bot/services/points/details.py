"""The events behind a member's items: which meeting, which activity, which entry — every point traceable.

Counting the whole city is set-based (:mod:`storage.points`); listing one member's events is a few small
queries for that member. The same rules decide both, so the events of an item always number its count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.kinds_of_meeting import KINDS_BY_ID
from bot.services.points.rules import MemberItem, Rules, Tenths, tenths_json
from storage import points as store
from storage.points import EntryKind


@dataclass(frozen=True)
class Event:
    """One event an item counts."""

    key: str  # the rule key
    day: date
    ref: str  # "meeting:12", "activity:3", "report:5", "community:2", "entry:9"
    title: str  # the meeting's topic or kind, the activity's title, the entry's reason
    points: Tenths  # what the event itself is worth (before the item's cap)
    minutes: int = 0
    status: str | None = None  # attendance status; "manual"/"correction" for an entry

    def as_json(self) -> dict[str, Any]:
        """For ``points show --json``."""
        data: dict[str, Any] = {
            "key": self.key,
            "date": self.day.isoformat(),
            "ref": self.ref,
            "title": self.title,
            "points": tenths_json(self.points),
        }
        if self.minutes:
            data["minutes"] = self.minutes
        if self.status:
            data["status"] = self.status
        return data


def _covered(day: date, spans: list[Any]) -> bool:
    return any((started is None or day >= started) and (ended is None or day < ended) for started, ended in spans)


def _meeting_title(kind: str, topic: str | None, locale: str) -> str:
    meeting_kind = KINDS_BY_ID.get(kind)
    name = (meeting_kind.name_zh if locale == "zh_CN" else meeting_kind.name_en) if meeting_kind else kind
    return f"{name}：{topic}" if topic and locale == "zh_CN" else f"{name}: {topic}" if topic else name


def _counts_meeting(item: MemberItem, kind: str, status: str, tags: list[str]) -> bool:
    if item.kinds and kind not in item.kinds:
        return False
    if item.source == "attendance":
        return status in item.statuses
    if item.source == "birthday_activity":
        return status in ("present", "late") and "political_birthdays" in tags
    return False


async def member_events(
    session: AsyncSession,
    member_id: int,
    branch_id: int,
    rules: Rules,
    start: date,
    end: date,
    tz: ZoneInfo,
    locale: str = "zh_CN",
) -> dict[str, list[Event]]:
    """Each rule key's events for the member in the branch and period (only while they belonged to it)."""
    spans = await store.member_spans(session, member_id, branch_id, start, end)
    events: dict[str, list[Event]] = {item.key: [] for item in rules.items}
    if not spans:
        return events
    sources = {item.source for item in rules.items}
    for meeting, status, led in await store.member_meetings(session, member_id, branch_id, start, end, tz):
        day = meeting.starts_at.astimezone(tz).date()
        if not _covered(day, spans):
            continue
        title = _meeting_title(meeting.kind, meeting.topic, locale)
        for item in rules.items:
            counted = (item.source == "first_agenda_led" and led) or _counts_meeting(
                item, meeting.kind, status, list(meeting.tags or [])
            )
            if counted:
                events[item.key].append(
                    Event(item.key, day, f"meeting:{meeting.id}", title, item.points, 0, status or None)
                )
    if "volunteer_hours" in sources:
        service = [
            row for row in await store.member_service(session, member_id, start, end, tz) if _covered(row[3], spans)
        ]
        for item in rules.items:
            if item.source == "volunteer_hours":
                events[item.key] = [
                    Event(item.key, day, f"{kind}:{ref}", title, (minutes // 60) * item.points, minutes)
                    for kind, ref, title, day, minutes in service
                ]
    if "community_registration" in sources:
        for reg_id, name, registered, ended in await store.member_communities(session, member_id, start, end):
            if not any((e is None or registered < e) and (s is None or ended is None or ended > s) for s, e in spans):
                continue
            for item in rules.items:
                if item.source == "community_registration":
                    events[item.key].append(
                        Event(item.key, max(registered, start), f"community:{reg_id}", name, item.points)
                    )
    for entry in await store.member_entries(session, member_id, branch_id, start, end):
        if entry.rule_key in events and _covered(entry.on_date, spans):
            status = EntryKind.MANUAL if entry.kind == EntryKind.MANUAL else EntryKind.CORRECTION
            title = f"{entry.reason}（{entry.ref}）" if entry.ref else entry.reason
            events[entry.rule_key].append(
                Event(entry.rule_key, entry.on_date, f"entry:{entry.id}", title, entry.points, 0, status)
            )
    for key in events:
        events[key].sort(key=lambda e: (e.day, e.ref))
    return events
