"""The democratic appraisal sheet (民主评议党员): each member's points for the year, one row per member and one
column per item, for the secretary to take to the appraisal meeting. An .xlsx built in memory."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from bot.i18n import translator
from bot.services.points.member_points import MemberPoints, rank_band
from bot.services.points.rules import Rules, tenths_json


def appraisal_sheet(
    branch: str, year: int, results: Sequence[MemberPoints], rules: Rules, locale: str, made_on: date
) -> bytes:
    """The sheet as .xlsx bytes: a title row, a header, then the members by points (highest first)."""
    # openpyxl (0.4 s, with numpy) only when a sheet is asked for, not at every start of the bot.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    tr = translator(locale)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr.gettext("Appraisal")[:31]
    keys: list[tuple[str, str]] = [("base", tr.gettext("Base"))]
    keys += [(item.key, item.name(locale)) for item in rules.items]
    if any(i.key == "year_cap" for r in results for i in r.items):
        keys.append(("year_cap", tr.gettext("Yearly cap")))
    title = tr.gettext(
        "%(branch)s — members' points for %(year)d (for the democratic appraisal), made on %(day)s",
        branch=branch,
        year=year,
        day=made_on.isoformat(),
    )
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    header = [tr.gettext("Roster number"), tr.gettext("Name"), tr.gettext("Points"), tr.gettext("Rank band")]
    header += [name for _key, name in keys]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    limits = (0, *rules.rank_bands, 100)
    for result in sorted(results, key=lambda r: (-r.points, r.name)):
        band = rank_band(rules, results, result.member_id)
        band_text = (
            tr.gettext("%(low)d–%(high)d %%", low=limits[band], high=limits[band + 1]) if band is not None else ""
        )
        by_key = {item.key: item for item in result.items}
        row: list[object] = [result.member_no, result.name, tenths_json(result.points), band_text]
        for key, _name in keys:
            item = by_key.get(key)
            row.append(tenths_json(item.points) if item else 0)
        sheet.append(row)
    widths = [12, 10, 8, 10] + [14] * len(keys)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_filename(branch_code: str, year: int) -> str:
    """``appraisal-<branch>-<year>.xlsx``."""
    return f"appraisal-{branch_code}-{year}.xlsx"
