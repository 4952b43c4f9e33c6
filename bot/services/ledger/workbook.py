"""The ledger as an ``.xlsx`` file, streamed (openpyxl write-only): a city's ledger never sits in memory as cells.

Each sheet: a title row (organisation, sheet, period), the header row, frozen under both; column widths; dates
as dates and rates as percentages; A4 landscape, fitted to the page's width, the two top rows repeated on
every printed page. Charts (PNG) go on the 汇总 sheet, beside the table.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.ledger.data import LedgerData
from bot.services.ledger.sheets import Sheet, build_sheets

MAX_ROWS = 1_048_576  # Excel's limit


@dataclass(frozen=True)
class Written:
    """What was written: the file and each sheet's number of data rows."""

    path: Path
    sheets: list[tuple[str, int]]

    def as_json(self) -> str:
        """``{"file": …, "sheets": [{"name": …, "rows": N}, …]}``."""
        return json.dumps(
            {"file": str(self.path), "sheets": [{"name": n, "rows": r} for n, r in self.sheets]}, ensure_ascii=False
        )


def check_writable(path: Path) -> None:
    """Refuse, in one clear line, an output path that cannot be written (before any work is done)."""
    target = path.expanduser()
    parent = target.parent if str(target.parent) else Path()
    if target.is_dir():
        raise InvalidInput(N_("Cannot write %(path)s: it is a folder."), path=str(path))
    if not parent.is_dir():
        raise InvalidInput(
            N_("Cannot write %(path)s: the folder %(folder)s does not exist."), path=str(path), folder=str(parent)
        )
    try:
        if target.exists():
            with target.open("ab"):
                pass
        else:  # try, and leave nothing behind
            with target.open("xb"):
                pass
            target.unlink()
    except OSError as exc:
        raise InvalidInput(
            N_("Cannot write %(path)s: %(reason)s."), path=str(path), reason=exc.strerror or str(exc)
        ) from None


def write_workbook(data: LedgerData, path: Path, charts: list[bytes] | None = None) -> Written:
    """Write the ledger of ``data`` to ``path`` (CPU-bound: call it in a worker thread)."""
    return write_sheets(build_sheets(data), data.org.name, data.period.label, path, charts or [])


def write_sheets(sheets: list[Sheet], org_name: str, period_label: str, path: Path, charts: list[bytes]) -> Written:
    """Stream ``sheets`` into a new workbook at ``path``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    workbook = Workbook(write_only=True)
    title_font = Font(bold=True, size=14)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="F2DCDB")
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")
    counts: list[tuple[str, int]] = []
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name[:31])
        for index, column in enumerate(sheet.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        title = f"{org_name} {sheet.title}（{period_label}）"
        if sheet.remark:
            title += f"：{sheet.remark}"
        cell = WriteOnlyCell(ws, value=title)
        cell.font = title_font
        ws.append([cell])
        headers = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
            headers.append(cell)
        ws.append(headers)
        formats = [(i, c.fmt) for i, c in enumerate(sheet.columns) if c.fmt]
        if len(sheet.rows) > MAX_ROWS - 2:
            raise InvalidInput(N_("This ledger is too large for Excel; choose a shorter period or a smaller unit."))
        for row in sheet.rows:
            values: list[Any] = list(row)
            for i, fmt in formats:
                if i < len(values) and values[i] is not None:
                    formatted = WriteOnlyCell(ws, value=values[i])
                    formatted.number_format = fmt
                    values[i] = formatted
            ws.append(values)
        if not sheet.rows:
            ws.append([sheet.note])
        if sheet.name == "汇总":
            anchor_col = get_column_letter(len(sheet.columns) + 2)
            for n, png in enumerate(charts):
                image = Image(io.BytesIO(png))
                image.width, image.height = image.width * 0.5, image.height * 0.5
                ws.add_image(image, f"{anchor_col}{3 + n * 26}")
        counts.append((sheet.name, len(sheet.rows)))
    workbook.save(path)
    return Written(path, counts)
