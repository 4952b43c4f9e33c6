"""Member points (党员积分, measure 14), computed from the records for any period.

The counting is set-based (:mod:`storage.points`): a few grouped statements for the whole city. Here the counts
become points by the rules in force for each branch: per event (or per full hour of service), each item within
its cap, the leaders' corrections added before the cap, then the yearly cap on what was gained or lost. The
base is an item too, so a member's points are always the sum of their items.

A member's row is per branch: someone who moved during the period has one row for each branch, each counting
only the events of their time there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.bulk import collector_paused
from bot.services.points.rules import Rules, Tenths, tenths_json
from bot.services.points.versions import RulesInForce, rules_for
from storage import points as store
from storage.points import AttendanceRule, OrgChains, PointPublication
from storage.points.counts import from_whole_counts
from storage.points.events import branch_counts, point_events
from storage.points.tallies import counted_live


@dataclass(slots=True)
class ItemResult:
    """One rule key's result for one member."""

    key: str
    name_zh: str
    name_en: str
    source: str
    points: Tenths
    count: int
    raw: Tenths = 0  # before the cap (corrections included)
    capped: bool = False

    def name(self, locale: str) -> str:
        """The item's name in ``locale``."""
        return self.name_zh if locale == "zh_CN" else self.name_en

    def as_json(self) -> dict[str, Any]:
        """``{"key", "points", "source", "count"}`` as the report prints it."""
        return {"key": self.key, "points": tenths_json(self.points), "source": self.source, "count": self.count}


class MemberPoints:
    """A member's points in one branch for a period.

    Computed results keep the rules and the counts, and build their items on first use: the city's table of
    30,000 members needs only each total (:func:`total_of`, the same arithmetic without the 300,000 item objects
    that were a third of its time), a member's screen and the sheets the items."""

    __slots__ = ("_counted", "_items", "_points", "branch", "branch_id", "member_id", "member_no", "name", "published")

    def __init__(
        self,
        member_id: int,
        member_no: str,
        name: str,
        branch_id: int,
        branch: str,
        items: list[ItemResult] | None = None,
        published: bool = False,
        counted: tuple[Rules, Counts] | None = None,
    ) -> None:
        self.member_id, self.member_no, self.name = member_id, member_no, name
        self.branch_id, self.branch, self.published = branch_id, branch, published
        self._items = items if items is not None or counted is not None else []
        self._counted = counted
        self._points: Tenths | None = None

    @property
    def items(self) -> list[ItemResult]:
        """The items, the base first."""
        if self._items is None:
            assert self._counted is not None
            self._items = points_of(*self._counted)
        return self._items

    @property
    def points(self) -> Tenths:
        """The sum of the items (the base is one)."""
        if self._points is None:
            if self._items is None and self._counted is not None:
                self._points = total_of(*self._counted)
            else:
                self._points = sum(item.points for item in self.items)
        return self._points

    def __repr__(self) -> str:
        return f"MemberPoints({self.member_no!r}, {self.name!r}, {self.branch!r}, {self.points})"

    def as_json(self) -> dict[str, Any]:
        """The report's object: ``{"member", "name", "branch", "points", "items"}``."""
        return {
            "member": self.member_no,
            "name": self.name,
            "branch": self.branch,
            "points": tenths_json(self.points),
            "items": [item.as_json() for item in self.items],
        }


BASE_NAMES = ("基础分", "Base")
CAP_NAMES = ("年度封顶调整", "Yearly cap")


def _clamp(value: Tenths, cap: Tenths | None) -> Tenths:
    if cap is None:
        return value
    return max(-cap, min(cap, value))


@dataclass(slots=True)  # 30,000 of them in a city: no __dict__ each for the collector to walk
class Counts:
    """What the records hold for one (member, branch) in the period."""

    attendance: dict[str, int] = field(default_factory=dict)
    led: int = 0
    service_events: int = 0
    service_minutes: int = 0
    communities: int = 0
    entries: dict[str, tuple[int, Tenths]] = field(default_factory=dict)


def points_of(rules: Rules, counts: Counts) -> list[ItemResult]:
    """The items of one member from their counts: the rules' arithmetic, nothing else (called for every member
    of the city, so written as one plain loop)."""
    items = [ItemResult("base", BASE_NAMES[0], BASE_NAMES[1], "base", rules.base, 1, rules.base)]
    entries, attendance = counts.entries, counts.attendance
    gained = 0
    for rule in rules.items:
        source = rule.source
        entry_count, entry_points = entries.get(rule.key, (0, 0)) if entries else (0, 0)
        if source == "manual":
            count, raw = entry_count, entry_points
        else:
            if source == "attendance" or source == "birthday_activity":
                count = attendance.get(rule.key, 0)
                raw = count * rule.points
            elif source == "first_agenda_led":
                count = counts.led
                raw = count * rule.points
            elif source == "volunteer_hours":
                count = counts.service_events
                raw = (counts.service_minutes // 60) * rule.points
            else:  # community_registration
                count = counts.communities
                raw = count * rule.points
            raw += entry_points  # corrections change the computed value, before the cap
        cap = rule.cap
        points = raw if cap is None else (cap if raw > cap else -cap if raw < -cap else raw)
        gained += points
        items.append(ItemResult(rule.key, rule.name_zh, rule.name_en, source, points, count, raw, points != raw))
    if rules.year_cap is not None and abs(gained) > rules.year_cap:
        limited = _clamp(gained, rules.year_cap)
        items.append(ItemResult("year_cap", CAP_NAMES[0], CAP_NAMES[1], "cap", limited - gained, 0, 0, True))
    return items


def total_of(rules: Rules, counts: Counts) -> Tenths:
    """The sum of :func:`points_of`'s items, without making them (the same arithmetic, kept beside it: a test
    compares the two for every member of a seeded city)."""
    entries, attendance = counts.entries, counts.attendance
    gained = 0
    for rule in rules.items:
        source = rule.source
        entry_points = entries[rule.key][1] if entries and rule.key in entries else 0
        if source == "manual":
            raw = entry_points
        else:
            if source == "attendance" or source == "birthday_activity":
                raw = attendance.get(rule.key, 0) * rule.points
            elif source == "first_agenda_led":
                raw = counts.led * rule.points
            elif source == "volunteer_hours":
                raw = (counts.service_minutes // 60) * rule.points
            else:  # community_registration
                raw = counts.communities * rule.points
            raw += entry_points
        cap = rule.cap
        gained += raw if cap is None else (cap if raw > cap else -cap if raw < -cap else raw)
    if rules.year_cap is not None and abs(gained) > rules.year_cap:
        gained = _clamp(gained, rules.year_cap)
    return rules.base + gained


def attendance_rules(rules: Rules) -> list[AttendanceRule]:
    """The attendance-like items of a rules file, as the storage query counts them."""
    found = []
    for item in rules.items:
        if item.source == "attendance":
            found.append(AttendanceRule(item.key, item.kinds, item.statuses))
        elif item.source == "birthday_activity":
            found.append(AttendanceRule(item.key, item.kinds, ("present", "late"), tag="political_birthdays"))
    return found


def attribute(
    spans: Sequence[store.Span],
    start: date,
    end: date,
    led: Sequence[tuple[int, int, date]],
    service: Sequence[tuple[int, date, int]],
    communities: Sequence[tuple[int, date, date | None]],
    entries: Sequence[tuple[int, int, str, date, int]],
) -> dict[tuple[int, int], Counts]:
    """Give each event to the (member, branch) the member belonged to on its day: an event of a branch (a
    meeting, an entry) only to that branch; a member's own service and registration to whichever branch they
    were in at the time. Events number in the thousands, so this is a dictionary walk, not a query each."""
    by_member: dict[int, list[store.Span]] = {}
    counts: dict[tuple[int, int], Counts] = {}
    for span in spans:
        by_member.setdefault(span.member_id, []).append(span)
        counts.setdefault((span.member_id, span.org_id), Counts())

    def holders(member_id: int, day: date, org_id: int | None = None) -> Sequence[tuple[int, int]]:
        mine = by_member.get(member_id, ())
        if len(mine) == 1:  # the usual member, one membership row: no set to build (a city's 30,000 events)
            only = mine[0]
            covered = (org_id is None or only.org_id == org_id) and only.covers(day)
            return ((member_id, only.org_id),) if covered else ()
        return list({(s.member_id, s.org_id) for s in mine if (org_id is None or s.org_id == org_id) and s.covers(day)})

    for member_id, org_id, day in led:
        for key in holders(member_id, day, org_id):
            counts[key].led += 1
    for member_id, day, minutes in service:
        for key in holders(member_id, day):
            counts[key].service_events += 1
            counts[key].service_minutes += minutes
    for member_id, registered, ended in communities:
        first = max(registered, start)
        found = {(s.member_id, s.org_id) for s in by_member.get(member_id, ()) if s.overlaps(first, ended)}
        for key in found:
            counts[key].communities += 1
    for member_id, org_id, rule_key, day, tenths in entries:
        for key in holders(member_id, day, org_id):
            got, total = counts[key].entries.get(rule_key, (0, 0))
            counts[key].entries[rule_key] = (got + 1, total + tenths)
    return counts


async def compute(
    session: AsyncSession,
    branch_ids: Sequence[int],
    start: date,
    end: date,
    tz: ZoneInfo,
    *,
    known: OrgChains | None = None,
) -> list[MemberPoints]:
    """Every member's points in the branches for the period (live, by the rules in force now); ``known``: the
    branches' chains of units with their rules, when read already."""
    if not branch_ids:
        return []
    # Tens of thousands of rows, spans and results, none in a cycle: the collector is paused from the first
    # statement on (see bot.services.bulk), not only while the results are made — the rows read before set off
    # full collections of their own (a tenth of a second of the city's report).
    with collector_paused():
        return await _compute(session, branch_ids, start, end, tz, known)


async def _compute(
    session: AsyncSession, branch_ids: Sequence[int], start: date, end: date, tz: ZoneInfo, known: OrgChains | None
) -> list[MemberPoints]:
    # The parents for the rules, the names to show, and the newest rules of the units in the chains: one statement.
    if known is None or any(b not in known.chains for b in branch_ids):
        known = await store.org_chains_and_rules(session, list(branch_ids))
    chains, own = known
    in_force = await rules_for(session, list(branch_ids), {o: parent for o, (parent, _) in chains.items()}, own)
    by_rules: dict[int | None, list[int]] = {}
    for branch_id, rif in in_force.items():
        by_rules.setdefault(rif.rules_id, []).append(branch_id)
    names = {o: name for o, (_, name) in chains.items()}
    results: list[MemberPoints] = []
    for group in by_rules.values():
        rules = in_force[group[0]].rules
        sources = {item.source for item in rules.items}
        counted = attendance_rules(rules)
        kinds = {
            "led": "first_agenda_led" in sources,
            "service": "volunteer_hours" in sources,
            "communities": "community_registration" in sources,
        }
        if counted_live(group, counted, start, end):  # a few branches: members, attendance, events in one statement
            read = await branch_counts(session, group, counted, start, end, tz, **kinds)
            spans, events = read.spans, read.events
            attendance = (
                await from_whole_counts(session, group, spans, counted, start, end, tz, read.whole) if counted else {}
            )
        else:  # a city: the attendance from the tallies (bot/jobs/points.py)
            spans = await store.span_list(session, group, start, end)
            attendance = await store.attendance_counts(session, group, spans, counted, start, end, tz)
            events = await point_events(session, group, start, end, tz, **kinds)  # one statement for four kinds
        counts = attribute(spans, start, end, events.led, events.service, events.communities, events.entries)
        seen: set[tuple[int, int]] = set()
        for span in spans:
            key = (span.member_id, span.org_id)
            if key in seen:
                continue
            seen.add(key)
            found = counts[key]
            found.attendance = attendance.get(key, {})
            results.append(
                MemberPoints(
                    span.member_id,
                    span.member_no,
                    span.name,
                    span.org_id,
                    names.get(span.org_id, ""),
                    counted=(rules, found),
                )
            )
    results.sort(key=lambda r: (r.branch, r.branch_id, r.name, r.member_no))
    return results


def is_whole_year(start: date, end: date) -> int | None:
    """The year when the period is exactly one calendar year."""
    if start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return start.year
    return None


async def with_publications(
    session: AsyncSession,
    branch_ids: Sequence[int],
    start: date,
    end: date,
    tz: ZoneInfo,
    *,
    known: OrgChains | None = None,
) -> list[MemberPoints]:
    """Like :func:`compute`, but a branch's published year is shown as it was published."""
    year = is_whole_year(start, end)
    published: dict[int, PointPublication] = {}
    if year is not None:
        published = await store.publications(session, branch_ids, year)
    live = await compute(session, [b for b in branch_ids if b not in published], start, end, tz, known=known)
    if published:  # compute() returns its rows in this order already
        for row in published.values():
            live.extend(from_snapshot(row.branch_id, item) for item in row.results)
        live.sort(key=lambda r: (r.branch, r.branch_id, r.name, r.member_no))
    return live


def snapshot(result: MemberPoints) -> dict[str, Any]:
    """What a publication stores of a member's result (enough to show it again exactly)."""
    return {
        "member_id": result.member_id,
        "member": result.member_no,
        "name": result.name,
        "branch": result.branch,
        "items": [
            {
                "key": i.key,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "source": i.source,
                "points": i.points,
                "count": i.count,
            }
            for i in result.items
        ],
    }


def from_snapshot(branch_id: int, data: dict[str, Any]) -> MemberPoints:
    """A published result, as it was."""
    items = [
        ItemResult(
            i["key"], i["name_zh"], i["name_en"], i["source"], int(i["points"]), int(i["count"]), int(i["points"])
        )
        for i in data["items"]
    ]
    return MemberPoints(int(data["member_id"]), data["member"], data["name"], branch_id, data["branch"], items, True)


def rank_band(rules: Rules, results: Sequence[MemberPoints], member_id: int) -> int | None:
    """The member's band among the branch (0 = top band): bands are rules.rank_bands percentages."""
    ordered = sorted(results, key=lambda r: -r.points)
    for position, result in enumerate(ordered):
        if result.member_id == member_id:
            # Ties share the best position of their score, so equal points are never in different bands.
            first = next(i for i, r in enumerate(ordered) if r.points == result.points)
            percentile = 100 * (first + 1) / len(ordered)
            for band, limit in enumerate(rules.rank_bands):
                if percentile <= limit:
                    return band
            return len(rules.rank_bands)
        del position
    return None


def band_label(rules: Rules, band: int) -> tuple[int, int]:
    """The band's percentage range, e.g. (10, 30)."""
    limits = (0, *rules.rank_bands, 100)
    return limits[band], limits[band + 1]


async def rules_of_branch(session: AsyncSession, branch_id: int) -> RulesInForce:
    """The rules in force for one branch."""
    return (await rules_for(session, [branch_id]))[branch_id]
