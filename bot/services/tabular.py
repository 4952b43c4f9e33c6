"""Reading CSV and XLSX files row by row, for the all-or-nothing imports (roster, organisations, communities)."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.errors import InvalidInput
from bot.i18n import N_, Translator


@dataclass(frozen=True)
class RowError:
    """One problem in one row (row 1 is the header, so data starts at row 2)."""

    row: int
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def localized(self, tr: Translator) -> str:
        """``Row 3: …`` in the reader's language."""
        return tr.gettext("Row %(row)d: %(problem)s", row=self.row, problem=tr.gettext(self.msgid, **self.params))


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    created: int
    updated: int
    unchanged: int


def apply_changes(row: object, values: dict[str, Any]) -> bool:
    """Set the attributes of ``row`` that differ from ``values``; True when anything changed (re-imports
    of the same file change nothing)."""
    changes = {key: value for key, value in values.items() if getattr(row, key) != value}
    for key, value in changes.items():
        setattr(row, key, value)
    return bool(changes)


class ImportRejected(InvalidInput):
    """The file had errors; nothing was imported. ``errors`` lists every one of them."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(N_("The file has %(count)d error(s); nothing was imported."), count=len(errors))
        self.errors = errors


# A spreadsheet cell starting with one of these is a formula to Excel or LibreOffice (``=HYPERLINK(…)`` runs when
# the file is opened). Exports put a single quote in front, which spreadsheets show as text; imports take it off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """``'=1+1`` for ``=1+1``: a cell a spreadsheet will not run (OWASP's advice for CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unneutralize(text: str) -> str:
    """The inverse of :func:`neutralize`: an exported file imports back unchanged."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def read_table(path: Path, required: set[str], optional: set[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV (UTF-8, or GBK as Excel saves it on a Chinese Windows) or XLSX file as
    ``(row_number, {column: text})``; header names are lower-cased. A column named twice, or a cell holding a
    control character (a NUL byte, a line break inside a name), rejects the file with the rows concerned."""
    if not path.exists():
        raise InvalidInput(N_("File not found: %(path)s"), path=str(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, rows = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        header, rows = _read_csv(path)
    else:
        raise InvalidInput(N_("Unsupported file type %(suffix)s: use .csv or .xlsx."), suffix=suffix or "?")
    names = [h.strip().lower() for h in header]
    missing = sorted(required - set(names))
    if missing:
        raise InvalidInput(N_("Missing column(s): %(columns)s."), columns=", ".join(missing))
    unknown = sorted(set(names) - required - optional - {""})
    if unknown:
        raise InvalidInput(N_("Unknown column(s): %(columns)s."), columns=", ".join(unknown))
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        # Which of the two would win is a guess; a guess here overwrites members' data.
        raise ImportRejected(
            [RowError(1, N_("column %(column)s appears more than once"), {"column": name}) for name in twice]
        )
    result = []
    errors: list[RowError] = []
    for number, values in rows:
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        record = {
            name: unneutralize(values[i].strip() if i < len(values) else "") for i, name in enumerate(names) if name
        }
        for name, value in record.items():
            if any(unicodedata.category(ch) == "Cc" for ch in value):
                errors.append(
                    RowError(
                        number,
                        N_("column %(column)s holds a control character (a NUL byte or a line break)"),
                        {"column": name},
                    )
                )
        result.append((number, record))
    if errors:
        raise ImportRejected(errors)
    return result


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else GBK/GB18030, as Excel writes CSV on a Chinese Windows.

    A Big5 file (traditional characters, Excel on a Hong Kong or Taiwan Windows) also decodes as GBK, without an
    error but into the wrong characters. The rule that tells them apart: names in GBK text are nearly always in the
    GB2312 set (the 6,763 common simplified characters), while about four in ten Big5 characters have a second
    byte of 0x40–0x7E, which GBK reads as a rare character outside GB2312. So GBK text with any character outside
    GB2312 that is also valid Big5 is refused, asking for UTF-8 (a genuine GBK file with a rare character that
    happens to be valid Big5 is refused too: the safe side)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # Excel's plain "CSV" on a Chinese Windows is GBK, which GB18030 contains
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(
            N_('The file is neither UTF-8 nor GBK text. Save it as "CSV UTF-8" or as an Excel .xlsx file.')
        ) from None
    try:
        text.encode("gb2312")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw.decode("big5")
    except UnicodeDecodeError:
        return text  # GBK with rare characters (such as 喆 or 堃), and not Big5
    raise InvalidInput(
        N_(
            "The file looks like Big5 (traditional Chinese) text, which would be read as the wrong characters. "
            'Save it as "CSV UTF-8" or as an Excel .xlsx file.'
        )
    )


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode_text(path.read_bytes())
    # newline="" lets the csv module see every line end: \n, \r\n, and the old Mac's lone \r.
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidInput(N_("The file is not a readable CSV file: %(reason)s"), reason=str(exc)) from None
    if not rows:
        raise InvalidInput(N_("The file is empty."))
    return rows[0], [(i + 2, row) for i, row in enumerate(rows[1:])]


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # imported here: only imports need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError) as exc:
        raise InvalidInput(N_("The file is not a readable Excel workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError) as exc:  # broken sheet XML
        raise InvalidInput(N_("The file is not a readable Excel workbook.")) from exc
    finally:
        workbook.close()
    if not rows:
        raise InvalidInput(N_("The file is empty."))
    return rows[0], [(i + 2, row) for i, row in enumerate(rows[1:])]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(text: str) -> date:
    """``2021-11-23``, ``2021/11/23``, ``2021.11.23`` or ``2021年11月23日``; raises ValueError otherwise."""
    cleaned = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    parts = cleaned.split("-")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


_TRUE = {"1", "yes", "y", "true", "是", "√"}
_FALSE = {"", "0", "no", "n", "false", "否"}


def parse_bool(text: str) -> bool:
    """yes/no, true/false, 1/0, 是/否; raises ValueError otherwise."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(text)
