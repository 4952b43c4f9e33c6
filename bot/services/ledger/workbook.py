"""The ledger as an ``.xlsx`` file, streamed (XlsxWriter, constant memory): a city's ledger never sits in memory
as cells.

Each sheet: a title row (organisation, sheet, period), the header row, frozen under both; column widths; dates
as dates and rates as percentages; A4 landscape, fitted to the page's width, the two top rows repeated on
every printed page. Charts (PNG) go on the 汇总 sheet, beside the table.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.ledger.data import LedgerData
from bot.services.ledger.sheets import Sheet, build_sheets

MAX_ROWS = 1_048_576  # Excel's limit
DATE_FORMAT = "yyyy-mm-dd"  # a date in a column without its own format


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
    """Stream ``sheets`` into a new workbook at ``path``.

    XlsxWriter in constant-memory mode: each row goes to the file as it is written, with no cell object per value
    (openpyxl's write-only mode still made one per value: half of a city's ledger time). Text is always text,
    never a formula or a link, whatever a member typed."""
    from xlsxwriter import Workbook
    from xlsxwriter.image import Image

    workbook = Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "remove_timezone": True},
    )
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    header_format = workbook.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "pattern": 1, "text_wrap": True, "valign": "vcenter", "align": "center"}
    )
    formats: dict[str, Any] = {}

    def number_format(fmt: str) -> Any:
        if fmt not in formats:
            formats[fmt] = workbook.add_format({"num_format": fmt})
        return formats[fmt]

    counts: list[tuple[str, int]] = []
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name[:31])
        for index, column in enumerate(sheet.columns):
            ws.set_column(index, index, column.width)
        ws.freeze_panes(2, 0)
        ws.repeat_rows(0, 1)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        title = f"{org_name}{sheet.title}（{period_label}）"  # Chinese: no space between the two
        if sheet.remark:
            title += f"：{sheet.remark}"
        ws.write_string(0, 0, title, title_format)
        for index, column in enumerate(sheet.columns):
            ws.write_string(1, index, column.header, header_format)
        if len(sheet.rows) > MAX_ROWS - 2:
            raise InvalidInput(N_("This ledger is too large for Excel; choose a shorter period or a smaller unit."))
        column_formats = [number_format(c.fmt) if c.fmt else None for c in sheet.columns]
        _write_rows(ws, sheet.rows, column_formats, number_format(DATE_FORMAT))
        if not sheet.rows:
            ws.write_string(2, 0, sheet.note)
        if sheet.name == "汇总":
            for n, png in enumerate(charts):
                image = Image(io.BytesIO(png))
                # Half the picture's pixels, whatever resolution it declares (Excel would shrink a 120-dpi PNG).
                x_scale, y_scale = 0.5 * image.x_dpi / 96, 0.5 * image.y_dpi / 96
                ws.insert_image(2 + n * 26, len(sheet.columns) + 1, image, {"x_scale": x_scale, "y_scale": y_scale})
        counts.append((sheet.name, len(sheet.rows)))
    workbook.close()
    return Written(path, counts)


def _write_rows(ws: Any, rows: list[list[Any]], column_formats: list[Any], date_format: Any) -> None:
    """Each value by its type, straight to the sheet (rows from the third: title and header above)."""
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    width = len(column_formats)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue  # an empty cell, as Excel leaves it
            fmt = column_formats[c] if c < width else None
            kind = type(value)
            if kind is str:
                write_string(r, c, value, fmt)
            elif kind is int or kind is float:
                write_number(r, c, value, fmt)
            elif kind is bool:
                ws.write_boolean(r, c, value, fmt)
            elif isinstance(value, date):
                write_datetime(r, c, value, fmt or date_format)
            else:
                ws.write(r, c, value, fmt)
