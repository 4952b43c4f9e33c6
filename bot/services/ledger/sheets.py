"""The ledger's sheets as rows: names and headers in Chinese, the language of the paperwork handed in.

A branch gets 汇总 and the six registers the issue lists; a unit or the working committee gets 汇总 ranked by
branch and the same sheets with one row per branch (or per meeting), member-level only while small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.services.kinds_of_meeting import KINDS_BY_ID, TAGS_BY_ID, Period
from bot.services.ledger.data import (
    BranchIndicators,
    LedgerData,
    MeetingEntry,
    Requirement,
    indicators,
    requirements,
)
from storage.meetings import AttendanceStatus

DATE = "yyyy-mm-dd"
PERCENT = "0.0%"
HOURS = "0.0"
EMPTY_NOTE = "本期无记录"
EMPTY_PERIOD = "本期无会议、第一议题学习、志愿服务和政治生日记录"

FORMS = {"conveying": "传达学习", "discussion": "集中研讨", "tutorial": "专题辅导", "exchange": "交流发言"}
MARKS: dict[str, str] = {AttendanceStatus.PRESENT: "✓", AttendanceStatus.LATE: "迟", AttendanceStatus.ON_LEAVE: "假"}
STATUS_ZH: dict[str, str] = {
    AttendanceStatus.ON_LEAVE: "请假",
    AttendanceStatus.LEAVE_REQUESTED: "请假未批",
    AttendanceStatus.ABSENT: "缺席",
    AttendanceStatus.NO_ANSWER: "未回复",
    AttendanceStatus.ATTENDING: "未签到",
}
MEETING_STATUS_ZH: dict[str, str] = {"scheduled": "待召开", "closed": "已召开"}
PERIOD_ZH = {Period.MONTH: "月", Period.QUARTER: "季度", Period.YEAR: "年"}


@dataclass(frozen=True)
class Column:
    """A column: its header, width (characters) and Excel number format."""

    header: str
    width: float = 12
    fmt: str | None = None


@dataclass
class Sheet:
    """One sheet: name (≤ 31 characters), title, columns and rows; ``note`` is shown when there are no rows."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = EMPTY_NOTE
    remark: str | None = None  # added to the title row


def kind_zh(kind: str) -> str:
    """The Chinese name of a meeting kind."""
    found = KINDS_BY_ID.get(kind)
    return found.name_zh if found else kind


def _pct(a: int, b: int) -> float | None:
    return a / b if b else None


def build_sheets(data: LedgerData) -> list[Sheet]:
    """Every sheet of the ledger, in order."""
    reqs = requirements(data)
    ranked = indicators(data, reqs)
    sheets = [summary(data, ranked), register(data)]
    sheets.append(attendance_members(data) if data.member_level else attendance_branches(ranked))
    sheets.append(first_agenda(data) if data.member_level else first_agenda_branches(ranked))
    sheets.append(service_members(data) if data.member_level else service_branches(data, ranked))
    if data.member_level:
        sheets.append(birthdays(data))
    sheets.append(compliance(data, reqs) if data.member_level else compliance_branches(data, reqs))
    return sheets


def first_agenda_branches(ranked: list[BranchIndicators]) -> Sheet:
    """第一议题学习 of a large unit: one row per branch."""
    columns = [
        Column("支部", 24),
        Column("下发材料", 9),
        Column("已学习", 8),
        Column("未学习", 8),
        Column("学习率", 9, PERCENT),
        Column("平均间隔（天）", 12, "0.0"),
        Column("需第一议题的会议", 14),
        Column("已记录第一议题", 13),
    ]
    rows = [
        [r.name, r.dispatched, r.studied, r.dispatched - r.studied, r.first_agenda, r.lag, r.fa_needed, r.fa_done]
        for r in sorted(ranked, key=lambda r: r.name)
    ]
    return Sheet("第一议题学习", "第一议题学习（按支部）", columns, rows)


def compliance_branches(data: LedgerData, reqs: list[Requirement]) -> Sheet:
    """合规 of a large unit: one row per branch, one column per requirement (met periods / periods)."""
    names = list(dict.fromkeys(r.name_zh for r in reqs))
    cells: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in reqs:
        cell = cells[(r.branch_id, r.name_zh)]
        cell[0] += int(r.ok)
        cell[1] += 1
    columns = [Column("支部", 24), *(Column(f"{n}（达标/应达标）", 14) for n in names), Column("达标率", 9, PERCENT)]
    rows = []
    for branch in sorted(data.branches, key=lambda b: b.name):
        met = sum(cells[(branch.id, n)][0] for n in names)
        total = sum(cells[(branch.id, n)][1] for n in names)
        rows.append(
            [branch.name, *(f"{cells[(branch.id, n)][0]}/{cells[(branch.id, n)][1]}" for n in names), _pct(met, total)]
        )
    return Sheet("合规", "合规（按支部，完整的月、季度、年）", columns, rows, "本期不含完整的月、季度或年")


def _branch_col(data: LedgerData) -> list[Column]:
    return [] if data.is_branch else [Column("支部", 22)]


def _branch_val(data: LedgerData, branch_id: int) -> list[Any]:
    return [] if data.is_branch else [data.branch_name(branch_id)]


def summary(data: LedgerData, ranked: list[BranchIndicators]) -> Sheet:
    """汇总: one row per branch with the same indicators, best first."""
    columns = [
        Column("排名", 6),
        Column("支部", 24),
        Column("党员数", 8),
        Column("已召开会议", 10),
        Column("合规达标项", 10),
        Column("应达标项", 9),
        Column("合规率", 9, PERCENT),
        Column("出勤率", 9, PERCENT),
        Column("第一议题学习率", 12, PERCENT),
        Column("平均学习间隔（天）", 14, "0.0"),
        Column("志愿服务（小时）", 13, HOURS),
        Column("人均服务（小时）", 13, HOURS),
    ]
    rows = [
        [
            rank,
            r.name,
            r.members,
            r.meetings,
            r.met,
            r.required,
            r.compliance,
            r.attendance,
            r.first_agenda,
            r.lag,
            r.hours,
            r.hours / r.members if r.members else None,
        ]
        for rank, r in enumerate(ranked, 1)
    ]
    sheet = Sheet("汇总", "汇总", columns, rows)
    if data.empty:  # an empty period says so in the title of the sheet people open first
        sheet.remark = EMPTY_PERIOD
    return sheet


def register(data: LedgerData) -> Sheet:
    """三会一课及主题党日登记: one row per meeting."""
    columns = [
        *_branch_col(data),
        Column("日期", 11, DATE),
        Column("时间", 12),
        Column("类型", 16),
        Column("主题", 28),
        Column("地点", 16),
        Column("主持人", 9),
        Column("第一议题学习材料", 34),
        Column("学习形式", 10),
        Column("领学人", 9),
        Column("应到", 6),
        Column("实到", 6),
        Column("迟到", 6),
        Column("请假", 6),
        Column("缺席", 6),
        Column("缺席人员及原因", 30),
        Column("会议记录摘要", 40),
        Column("标签", 20),
        Column("状态", 8),
    ]
    rows = [_register_row(data, m) for m in data.meetings]
    return Sheet("三会一课及主题党日登记", "三会一课及主题党日登记", columns, rows)


def _register_row(data: LedgerData, m: MeetingEntry) -> list[Any]:
    listed = sum(m.counts.values())
    absent = listed - m.attended - m.count(AttendanceStatus.ON_LEAVE)
    away = "；".join(
        f"{name}（{STATUS_ZH.get(status, status)}{'：' + reason if reason else ''}）"
        for name, status, reason in m.not_present
    )
    materials = "；".join(f"{title}（{source}）" if source else title for title, source in m.materials)
    record = (m.record or "").strip()
    return [
        *_branch_val(data, m.org_id),
        m.starts.date(),
        f"{m.starts:%H:%M}-{m.ends:%H:%M}",
        kind_zh(m.kind),
        m.topic or "",
        m.place or "",
        m.chair or "",
        materials,
        FORMS.get(m.fa_form or "", ""),
        m.fa_leader or "",
        listed,
        m.attended,
        m.count(AttendanceStatus.LATE),
        m.count(AttendanceStatus.ON_LEAVE),
        absent if m.closed else None,
        away if m.closed else "",
        record[:200] + ("…" if len(record) > 200 else ""),
        "、".join(TAGS_BY_ID[t].name_zh if t in TAGS_BY_ID else t for t in m.tags),
        MEETING_STATUS_ZH.get(m.status, m.status),
    ]


def _members_in_order(data: LedgerData) -> list[tuple[int, int]]:
    """(branch, member) pairs of the period, by branch name then member name."""
    seen: dict[tuple[int, int], None] = {}
    for span in data.spans:
        seen.setdefault((span.org_id, span.member_id), None)
    names = {b.id: b.name for b in data.branches}
    return sorted(
        seen, key=lambda p: (names.get(p[0], ""), data.members[p[1]].name if p[1] in data.members else "", p[1])
    )


def attendance_members(data: LedgerData) -> Sheet:
    """出勤明细: member × closed meeting with ✓ / 迟 / 假 / ✗, and each member's rate."""
    closed = [m for m in data.meetings if m.closed]
    columns = [
        *_branch_col(data),
        Column("姓名", 10),
        Column("编号", 9),
        *(Column(f"{m.starts:%m-%d} {kind_zh(m.kind)}", 9) for m in closed),
        Column("出勤率", 9, PERCENT),
    ]
    rows: list[list[Any]] = []
    for branch_id, member_id in _members_in_order(data):
        member = data.members.get(member_id)
        if member is None:
            continue
        marks: list[Any] = []
        attended = expected = 0
        for m in closed:
            status = data.matrix.get((m.id, member_id)) if m.org_id == branch_id else None
            if status is None:
                marks.append("")
                continue
            marks.append(MARKS.get(status, "✗"))
            if status != AttendanceStatus.ON_LEAVE:
                expected += 1
                attended += status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        rows.append([*_branch_val(data, branch_id), member.name, member.member_no, *marks, _pct(attended, expected)])
    note = EMPTY_NOTE if not closed else "本期无已召开的会议"
    return Sheet("出勤明细", "出勤明细（✓出席，迟：迟到，假：请假，✗缺席）", columns, rows if closed else [], note)


def attendance_branches(ranked: list[BranchIndicators]) -> Sheet:
    """出勤明细 of a large unit: one row per branch."""
    columns = [
        Column("支部", 24),
        Column("已召开会议", 10),
        Column("应参会人次", 10),
        Column("实参会人次", 10),
        Column("出勤率", 9, PERCENT),
    ]
    rows = [[r.name, r.meetings, r.expected, r.attended, r.attendance] for r in sorted(ranked, key=lambda r: r.name)]
    return Sheet("出勤明细", "出勤统计（按支部）", columns, rows)


def first_agenda(data: LedgerData) -> Sheet:
    """第一议题学习: each dispatched material and the meeting that studied it; materials a branch chose itself."""
    columns = [
        *_branch_col(data),
        Column("学习材料", 36),
        Column("来源", 14),
        Column("下发日期", 11, DATE),
        Column("学习会议日期", 12, DATE),
        Column("会议类型", 16),
        Column("间隔（天）", 9),
        Column("学习形式", 10),
        Column("领学人", 9),
    ]
    rows: list[list[Any]] = []
    studied: set[tuple[int, str]] = set()
    for d in data.dispatches:
        rows.append(
            [
                *_branch_val(data, d.branch_id),
                d.title,
                d.source or "",
                d.dispatched_on,
                d.meeting_on,
                kind_zh(d.meeting_kind) if d.meeting_kind else "未学习",
                d.lag,
                FORMS.get(d.form or "", ""),
                d.leader or "",
            ]
        )
        studied.add((d.branch_id, d.title))
    for m in data.meetings:
        for title, source in m.materials:
            if (m.org_id, title) in studied:
                continue
            studied.add((m.org_id, title))
            rows.append(
                [
                    *_branch_val(data, m.org_id),
                    title,
                    source or "",
                    None,
                    m.starts.date(),
                    kind_zh(m.kind),
                    None,
                    FORMS.get(m.fa_form or "", ""),
                    m.fa_leader or "",
                ]
            )
    return Sheet("第一议题学习", "第一议题学习", columns, rows)


def _months(data: LedgerData) -> list[str]:
    out: list[str] = []
    day = data.period.start.replace(day=1)
    while day <= data.period.end:
        out.append(f"{day:%Y-%m}")
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out


def service_members(data: LedgerData) -> Sheet:
    """志愿服务: member × month hours, activities, share outside working hours, approved self-reports."""
    months = _months(data)
    columns = [
        *_branch_col(data),
        Column("姓名", 10),
        *(Column(f"{m}（小时）", 11, HOURS) for m in months),
        Column("合计（小时）", 11, HOURS),
        Column("活动次数", 8),
        Column("工作时间外占比", 12, PERCENT),
        Column("自报（已批准）", 12),
    ]
    minutes: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    activities: dict[tuple[int, int], int] = defaultdict(int)
    outside: dict[tuple[int, int], int] = defaultdict(int)
    reports: dict[tuple[int, int], int] = defaultdict(int)
    for s in data.service:
        key = (s.branch_id, s.member_id)
        minutes[key][f"{s.day:%Y-%m}"] += s.minutes
        outside[key] += s.outside_minutes
        if s.activity_id is None:
            reports[key] += 1
        else:
            activities[key] += 1
    rows: list[list[Any]] = []
    for branch_id, member_id in _members_in_order(data):
        member = data.members.get(member_id)
        if member is None:
            continue
        key = (branch_id, member_id)
        total = sum(minutes[key].values()) if key in minutes else 0
        rows.append(
            [
                *_branch_val(data, branch_id),
                member.name,
                *(minutes[key].get(m, 0) / 60 if key in minutes else 0 for m in months),
                total / 60,
                activities.get(key, 0),
                _pct(outside.get(key, 0), total),
                reports.get(key, 0),
            ]
        )
    if not data.service:
        rows = []
    return Sheet("志愿服务", "志愿服务", columns, rows)


def service_branches(data: LedgerData, ranked: list[BranchIndicators]) -> Sheet:
    """志愿服务 of a large unit: one row per branch."""
    activities: dict[int, int] = defaultdict(int)
    reports: dict[int, int] = defaultdict(int)
    serving: dict[int, set[int]] = defaultdict(set)
    for s in data.service:
        serving[s.branch_id].add(s.member_id)
        if s.activity_id is None:
            reports[s.branch_id] += 1
        else:
            activities[s.branch_id] += 1
    columns = [
        Column("支部", 24),
        Column("党员数", 8),
        Column("参加人数", 8),
        Column("合计（小时）", 11, HOURS),
        Column("人均（小时）", 11, HOURS),
        Column("活动次数", 8),
        Column("工作时间外占比", 12, PERCENT),
        Column("自报（已批准）", 12),
    ]
    rows = [
        [
            r.name,
            r.members,
            len(serving.get(r.branch_id, ())),
            r.hours,
            r.hours / r.members if r.members else None,
            activities.get(r.branch_id, 0),
            _pct(r.service_outside, r.service_minutes),
            reports.get(r.branch_id, 0),
        ]
        for r in sorted(ranked, key=lambda r: r.name)
    ]
    return Sheet("志愿服务", "志愿服务（按支部）", columns, rows)


def _anniversaries(join: date, start: date, end: date) -> Iterator[date]:
    for year in range(start.year, end.year + 1):
        try:
            day = join.replace(year=year)
        except ValueError:  # joined on 29 February
            day = date(year, 2, 28)
        if start <= day <= end and year > join.year:
            yield day


def birthdays(data: LedgerData) -> Sheet:
    """政治生日: members whose Party anniversary falls in the period, with the years and the greeting's day."""
    columns = [
        *_branch_col(data),
        Column("姓名", 10),
        Column("入党日期", 11, DATE),
        Column("政治生日", 11, DATE),
        Column("党龄（年）", 9),
        Column("祝福发送日期", 12, DATE),
    ]
    rows: list[list[Any]] = []
    for branch_id, member_id in _members_in_order(data):
        member = data.members.get(member_id)
        if member is None or member.join_date is None:
            continue
        greeted = data.greetings.get(member_id, [])
        for day in _anniversaries(member.join_date, data.period.start, data.period.end):
            if data.branch_of(member_id, day) != branch_id:
                continue
            sent = next((g for g in greeted if g.year == day.year), None)
            rows.append(
                [
                    *_branch_val(data, branch_id),
                    member.name,
                    member.join_date,
                    day,
                    day.year - member.join_date.year,
                    sent,
                ]
            )
    rows.sort(key=lambda r: (r[-3], r[-5]))
    return Sheet("政治生日", "政治生日", columns, rows)


def compliance(data: LedgerData, reqs: list[Requirement]) -> Sheet:
    """合规: each required kind and tag per month / quarter / year wholly in the period: held / required / due."""
    columns = [
        *_branch_col(data),
        Column("周期", 10),
        Column("周期类型", 8),
        Column("要求", 26),
        Column("已开展", 8),
        Column("应开展", 8),
        Column("截止日期", 11, DATE),
        Column("状态", 8),
    ]
    rows = [
        [
            *_branch_val(data, r.branch_id),
            r.key,
            PERIOD_ZH[r.period],
            r.name_zh,
            r.held,
            r.required,
            r.due,
            "达标" if r.ok else "未达标",
        ]
        for r in reqs
    ]
    return Sheet("合规", "合规（完整的月、季度、年）", columns, rows, "本期不含完整的月、季度或年")
