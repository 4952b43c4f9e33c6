"""A meeting's record (会议记录) as a Word document, in the customary layout of the paper file:

会议记录 · 时间、地点、主持人、记录人、应到/实到/缺席及原因 · 议题（第一议题 first）· 内容 · 签到名单 (with an
empty column for handwritten signatures). Written with python-docx, imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import Actor
from bot.services.ledger.sheets import FORMS, STATUS_ZH, kind_zh
from bot.services.meetings import attendance_rows, meeting_for_leader
from storage import ledger as ledger_queries
from storage.meetings import CHECKED_IN, AttendanceStatus
from storage.models import Member, Organisation

SIGN_IN: dict[str, str] = {AttendanceStatus.PRESENT: "出席", AttendanceStatus.LATE: "迟到", **STATUS_ZH}


@dataclass
class MeetingRecord:
    """What the record shows, read from the database."""

    org_name: str
    kind: str
    topic: str | None
    starts: datetime
    ends: datetime
    place: str | None
    chair: str | None
    recorder: str | None
    record: str | None
    materials: list[str] = field(default_factory=list)
    fa_form: str | None = None
    fa_leader: str | None = None
    people: list[tuple[str, str, str | None]] = field(default_factory=list)  # name, status, leave reason

    @property
    def present(self) -> int:
        """Present or late."""
        return sum(1 for _, s, _ in self.people if s in CHECKED_IN)

    @property
    def absent(self) -> list[tuple[str, str, str | None]]:
        """Everyone else, with the reason."""
        return [p for p in self.people if p[1] not in CHECKED_IN]


async def load_record(session: AsyncSession, actor: Actor | None, meeting_id: int, tz: ZoneInfo) -> MeetingRecord:
    """The record of a meeting the actor leads (``None``: the command line)."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    org = await session.get(Organisation, meeting.org_id)
    chair = await session.get(Member, meeting.created_by_id) if meeting.created_by_id else None
    item, studied = await ledger_queries.first_agenda_of(session, meeting.id)
    recorder = await session.get(Member, item.recorded_by_id) if item and item.recorded_by_id else None
    materials = [f"{t}（{s}）" if s else t for t, s in studied]
    return MeetingRecord(
        org_name=org.name if org else "",
        kind=kind_zh(meeting.kind),
        topic=meeting.topic,
        starts=meeting.starts_at.astimezone(tz),
        ends=meeting.ends_at.astimezone(tz),
        place=meeting.place,
        chair=chair.name if chair else None,
        recorder=recorder.name if recorder else chair.name if chair else None,
        record=meeting.record,
        materials=materials,
        fa_form=item.form if item else None,
        fa_leader=item.led_by_name if item else None,
        people=[(m.name, a.status, a.leave_reason) for m, a in await attendance_rows(session, meeting.id)],
    )


def _cn_date(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def write_record(record: MeetingRecord, path: Path) -> Path:
    """Write the record to ``path`` (CPU-bound: call it in a worker thread)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("会议记录")
    run.bold = True
    run.font.size = Pt(20)
    subtitle = document.add_paragraph(f"{record.org_name} · {record.kind}")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER

    absent = "；".join(
        f"{name}（{SIGN_IN.get(status, status)}{'：' + reason if reason else ''}）"
        for name, status, reason in record.absent
    )
    facts = [
        ("时间", f"{_cn_date(record.starts)}—{record.ends:%H:%M}"),
        ("地点", record.place or ""),
        ("主持人", record.chair or ""),
        ("记录人", record.recorder or ""),
        ("应到", f"{len(record.people)}人"),
        ("实到", f"{record.present}人"),
        ("缺席及原因", f"{len(record.absent)}人" + (f"：{absent}" if absent else "")),
    ]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value

    document.add_heading("议题", level=2)
    number = 1
    if record.materials:
        how = "；".join(
            part
            for part in (
                f"学习形式：{FORMS.get(record.fa_form or '', record.fa_form or '')}" if record.fa_form else "",
                f"领学人：{record.fa_leader}" if record.fa_leader else "",
            )
            if part
        )
        document.add_paragraph(f"{number}. 第一议题：学习{'、'.join(record.materials)}" + (f"（{how}）" if how else ""))
        number += 1
    if record.topic:
        document.add_paragraph(f"{number}. {record.topic}")

    document.add_heading("内容", level=2)
    for line in (record.record or "（未填写）").splitlines():
        if line.strip():
            document.add_paragraph(line.strip())

    document.add_heading("签到名单", level=2)
    sign = document.add_table(rows=1, cols=4)
    sign.style = "Table Grid"
    for cell, text in zip(sign.rows[0].cells, ("序号", "姓名", "签到情况", "签名"), strict=True):
        cell.text = text
    for n, (name, status, _) in enumerate(record.people, 1):
        cells = sign.add_row().cells
        cells[0].text, cells[1].text, cells[2].text, cells[3].text = str(n), name, SIGN_IN.get(status, status), ""
    document.save(str(path))
    return path
