"""Rules as data (措施十三、十四): a TOML file per unit with the member point items and the branch criteria.

The file is checked as a whole and every problem is reported with its line, so a unit's staff can fix it in
one pass; nothing is applied while any problem remains. Points carry at most one decimal, and are held as
integer tenths everywhere else (``Tenths``), so sums are exact on every backend.

Sources are the events the bot records (see :mod:`storage.points`); ``manual`` items are entered by leaders,
``manual`` criteria are scored by the branch (self-assessment) and reviewed by administrators.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from bot.i18n import N_, Translator
from bot.services.kinds_of_meeting import KINDS_BY_ID

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "data" / "default_rules.toml"

Tenths = int  # points × 10

MEMBER_SOURCES = (
    "attendance",  # one event per closed meeting whose attendance status is listed (kinds: optional filter)
    "first_agenda_led",  # one event per closed meeting whose first agenda study the member led
    "volunteer_hours",  # points per full hour of counted service (sign-ups checked out, approved reports)
    "community_registration",  # one event if registered with a community during the period
    "birthday_activity",  # one event per closed meeting tagged political_birthdays the member attended
    "manual",  # entered by a leader with a reason, within [min, max] per entry
)
BRANCH_SOURCES = (
    "meetings_held",  # share of the year's required meetings held (closed)
    "attendance_rate",  # attended (present or late) over expected, closed meetings
    "first_agenda_rate",  # share of materials dispatched in the year that a meeting studied
    "first_agenda_lag",  # median days from dispatch to study: full score ≤ good_days, none ≥ poor_days
    "volunteer_share",  # share of the branch's members with counted volunteer service in the year
    "manual",  # scored by the branch, reviewed by the administrators
)
ATTENDANCE_STATUSES = ("present", "late", "absent", "on_leave")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class RuleProblem:
    """One problem in a rules file: the line (1-based) and a message id with its parameters."""

    line: int
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def localized(self, tr: Translator) -> str:
        """``line N: …`` in the reader's language."""
        return tr.gettext("Line %(line)d: %(problem)s", line=self.line, problem=tr.gettext(self.msgid, **self.params))


class RulesInvalid(Exception):
    """The file has problems; nothing was applied."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(f"{p.line}: {p.msgid % p.params if p.params else p.msgid}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class MemberItem:
    """One way to gain or lose points."""

    key: str
    name_zh: str
    name_en: str
    source: str
    points: Tenths  # per event (per full hour for volunteer_hours); unused for manual items
    cap: Tenths | None  # the item's absolute total is at most this in a period
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    min: Tenths | None = None  # manual: each entry within [min, max]
    max: Tenths | None = None

    def name(self, locale: str) -> str:
        """The item's name in ``locale``."""
        return self.name_zh if locale == "zh_CN" else self.name_en


@dataclass(frozen=True)
class Criterion:
    """One criterion of the branch rating, scored 0 … ``weight``."""

    key: str
    name_zh: str
    name_en: str
    source: str
    weight: Tenths
    good_days: int = 14
    poor_days: int = 45

    def name(self, locale: str) -> str:
        """The criterion's name in ``locale``."""
        return self.name_zh if locale == "zh_CN" else self.name_en


@dataclass(frozen=True)
class Band:
    """A star band: ``low`` ≤ score < ``high`` (the top band includes the total)."""

    stars: int
    low: Tenths
    high: Tenths
    requires: str | None = None


@dataclass(frozen=True)
class Rules:
    """A checked rules file."""

    name: str
    example: bool
    base: Tenths
    year_cap: Tenths | None
    publish_names: bool
    rank_bands: tuple[int, ...]
    items: tuple[MemberItem, ...]
    total: Tenths
    notice_working_days: int
    criteria: tuple[Criterion, ...]
    bands: tuple[Band, ...]

    def item(self, key: str) -> MemberItem | None:
        """The member item with this key."""
        return next((i for i in self.items if i.key == key), None)

    def criterion(self, key: str) -> Criterion | None:
        """The branch criterion with this key."""
        return next((c for c in self.criteria if c.key == key), None)

    def stars_for(self, score: Tenths, scores: dict[str, Tenths]) -> int:
        """The stars a total earns; a band whose required criterion scored nothing gives the next one down."""
        for band in sorted(self.bands, key=lambda b: -b.low):
            # Bands cover 0 … total, so the first one at or below the score holds it, unless it is skipped
            # for a missing requirement (then the score earns the next band down).
            if score >= band.low and not (band.requires and scores.get(band.requires, 0) <= 0):
                return band.stars
        return min((b.stars for b in self.bands), default=0)


def tenths_text(value: Tenths) -> str:
    """``125`` → ``"12.5"``, ``120`` → ``"12"``."""
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), 10)
    return f"{sign}{whole}" if part == 0 else f"{sign}{whole}.{part}"


def tenths_json(value: Tenths) -> int | float:
    """A JSON number: whole points as integers."""
    return value // 10 if value % 10 == 0 else value / 10


# --- where things are in the file -------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\s\"-]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\"-]+)\s*=")


def _line_index(text: str) -> dict[tuple[Any, ...], int]:
    """Map each table and key path (``("member", "items", 2, "cap")``) to the line it is on."""
    lines: dict[tuple[Any, ...], int] = {}
    counts: dict[tuple[str, ...], int] = {}
    current: tuple[Any, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header and not _ASSIGN.match(raw):
            names = tuple(part.strip().strip('"') for part in header.group(2).split("."))
            if header.group(1) == "[[":
                index = counts.get(names, 0)
                counts[names] = index + 1
                current = (*names, index)
            else:
                current = names
            lines.setdefault(current, number)
            continue
        assign = _ASSIGN.match(raw)
        if assign:
            lines.setdefault((*current, assign.group(1).strip('"')), number)
    return lines


class _Checker:
    """Collects problems with their lines while reading the parsed document."""

    def __init__(self, text: str) -> None:
        self.lines = _line_index(text)
        self.problems: list[RuleProblem] = []

    def line_of(self, path: tuple[Any, ...]) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def add(self, path: tuple[Any, ...], msgid: str, **params: Any) -> None:
        self.problems.append(RuleProblem(self.line_of(path), msgid, params))

    def text(self, table: dict[str, Any], path: tuple[Any, ...], name: str, *, required: bool = True) -> str:
        value = table.get(name)
        if value is None:
            if required:
                self.add(path, N_("“%(field)s” is missing."), field=name)
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add((*path, name), N_("“%(field)s” must be a non-empty text."), field=name)
            return ""
        return value.strip()

    def points(
        self, table: dict[str, Any], path: tuple[Any, ...], name: str, *, required: bool = True, positive: bool = False
    ) -> Tenths | None:
        value = table.get(name)
        if value is None:
            if required:
                self.add(path, N_("“%(field)s” is missing."), field=name)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add((*path, name), N_("“%(field)s” must be a number."), field=name)
            return None
        try:
            exact = Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - tomllib gives finite numbers or inf/nan
            exact = Decimal("NaN")
        if not exact.is_finite() or (exact * 10) != (exact * 10).to_integral_value():
            self.add((*path, name), N_("“%(field)s” may have at most one decimal place."), field=name)
            return None
        tenths = int(exact * 10)
        if positive and tenths < 0:
            self.add((*path, name), N_("“%(field)s” cannot be negative."), field=name)
            return None
        return tenths

    def flag(self, table: dict[str, Any], path: tuple[Any, ...], name: str, default: bool) -> bool:
        value = table.get(name, default)
        if not isinstance(value, bool):
            self.add((*path, name), N_("“%(field)s” must be true or false."), field=name)
            return default
        return value

    def strings(self, table: dict[str, Any], path: tuple[Any, ...], name: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add((*path, name), N_("“%(field)s” must be a list of texts."), field=name)
            return ()
        return tuple(value)

    def table(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        value = doc.get(name)
        if not isinstance(value, dict):
            self.add((), N_("The [%(table)s] table is missing."), table=name)
            return {}
        return value


def parse_rules(text: str) -> Rules:
    """Check and read a rules file; :class:`RulesInvalid` lists every problem with its line."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else 1
        raise RulesInvalid([RuleProblem(line, N_("This is not valid TOML: %(error)s"), {"error": str(exc)})]) from None
    check = _Checker(text)
    head = doc.get("rules", {}) if isinstance(doc.get("rules"), dict) else {}
    name = check.text(head, ("rules",), "name", required=False) or "—"
    example = check.flag(head, ("rules", "example"), "example", False) if head else False
    member = check.table(doc, "member")
    branch = check.table(doc, "branch")
    base = check.points(member, ("member",), "base", positive=True) or 0
    year_cap = check.points(member, ("member",), "year_cap", required=False, positive=True)
    publish_names = check.flag(member, ("member",), "publish_names", False)
    rank_raw = member.get("rank_bands", [10, 30, 70])
    if (
        not isinstance(rank_raw, list)
        or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 100 for v in rank_raw)
        or rank_raw != sorted(set(rank_raw))
    ):
        check.add(("member", "rank_bands"), N_("“rank_bands” must be rising percentages between 1 and 99."))
        rank_raw = [10, 30, 70]
    items = _member_items(check, member)
    total = check.points(branch, ("branch",), "total", positive=True) or 0
    notice = branch.get("notice_working_days", 5)
    if isinstance(notice, bool) or not isinstance(notice, int) or not 1 <= notice <= 30:
        check.add(("branch", "notice_working_days"), N_("“notice_working_days” must be a whole number from 1 to 30."))
        notice = 5
    criteria = _criteria(check, branch, total)
    bands = _bands(check, branch, total, {c.key for c in criteria})
    if check.problems:
        raise RulesInvalid(sorted(check.problems, key=lambda p: p.line))
    return Rules(
        name=name,
        example=example,
        base=base,
        year_cap=year_cap,
        publish_names=publish_names,
        rank_bands=tuple(rank_raw),
        items=tuple(items),
        total=total,
        notice_working_days=notice,
        criteria=tuple(criteria),
        bands=tuple(bands),
    )


def _key(check: _Checker, table: dict[str, Any], path: tuple[Any, ...], seen: set[str]) -> str:
    key = check.text(table, path, "key")
    if key and not _KEY.match(key):
        check.add((*path, "key"), N_("Key “%(key)s” must be lower-case letters, digits and _ (up to 32)."), key=key)
    elif key in seen:
        check.add((*path, "key"), N_("Key “%(key)s” is used twice."), key=key)
    seen.add(key)
    return key


def _member_items(check: _Checker, member: dict[str, Any]) -> list[MemberItem]:
    raw = member.get("items", [])
    if not isinstance(raw, list) or not raw:
        check.add(("member",), N_("[[member.items]] must list at least one item."))
        return []
    items: list[MemberItem] = []
    seen: set[str] = {"base", "year_cap"}  # reserved: the base and the yearly cap are items of the report
    for index, table in enumerate(raw):
        path = ("member", "items", index)
        key = _key(check, table, path, seen)
        source = check.text(table, path, "source")
        if source and source not in MEMBER_SOURCES:
            check.add(
                (*path, "source"),
                N_("Unknown source “%(source)s”; use one of: %(known)s."),
                source=source,
                known=", ".join(MEMBER_SOURCES),
            )
        cap = check.points(table, path, "cap", required=False, positive=True)
        kinds = check.strings(table, path, "kinds")
        for kind in kinds:
            if kind not in KINDS_BY_ID:
                check.add((*path, "kinds"), N_("Unknown meeting kind “%(kind)s”."), kind=kind)
        statuses = check.strings(table, path, "status")
        for status in statuses:
            if status not in ATTENDANCE_STATUSES:
                check.add(
                    (*path, "status"),
                    N_("Unknown attendance status “%(status)s”; use one of: %(known)s."),
                    status=status,
                    known=", ".join(ATTENDANCE_STATUSES),
                )
        if source == "attendance" and not statuses:
            check.add(
                path,
                N_("An attendance item needs “%(field)s” (for example %(example)s)."),
                field="status",
                example='["present", "late"]',
            )
        low = high = None
        points: Tenths | None = 0
        if source == "manual":
            low = check.points(table, path, "min")
            high = check.points(table, path, "max")
            if low is not None and high is not None and low > high:
                check.add((*path, "min"), N_("“%(low)s” is above “%(high)s”."), low="min", high="max")
        else:
            points = check.points(table, path, "points")
            if points == 0:
                check.add((*path, "points"), N_("“%(field)s” cannot be zero."), field="points")
        items.append(
            MemberItem(
                key=key,
                name_zh=check.text(table, path, "name_zh"),
                name_en=check.text(table, path, "name_en"),
                source=source,
                points=points or 0,
                cap=cap,
                kinds=kinds,
                statuses=statuses,
                min=low,
                max=high,
            )
        )
    return items


def _criteria(check: _Checker, branch: dict[str, Any], total: Tenths) -> list[Criterion]:
    raw = branch.get("criteria", [])
    if not isinstance(raw, list) or not raw:
        check.add(("branch",), N_("[[branch.criteria]] must list at least one criterion."))
        return []
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        path = ("branch", "criteria", index)
        key = _key(check, table, path, seen)
        source = check.text(table, path, "source")
        if source and source not in BRANCH_SOURCES:
            check.add(
                (*path, "source"),
                N_("Unknown source “%(source)s”; use one of: %(known)s."),
                source=source,
                known=", ".join(BRANCH_SOURCES),
            )
        weight = check.points(table, path, "weight", positive=True)
        good, poor = table.get("good_days", 14), table.get("poor_days", 45)
        if not (isinstance(good, int) and isinstance(poor, int) and 0 <= good < poor):
            check.add((*path, "good_days"), N_("“good_days” must be a whole number below “poor_days”."))
            good, poor = 14, 45
        criteria.append(
            Criterion(
                key=key,
                name_zh=check.text(table, path, "name_zh"),
                name_en=check.text(table, path, "name_en"),
                source=source,
                weight=weight or 0,
                good_days=good,
                poor_days=poor,
            )
        )
    declared = sum(c.weight for c in criteria)
    if total and declared != total:
        check.add(
            ("branch", "total"),
            N_("The criteria's weights add up to %(sum)s, not the declared total %(total)s."),
            sum=tenths_text(declared),
            total=tenths_text(total),
        )
    return criteria


def _bands(check: _Checker, branch: dict[str, Any], total: Tenths, criteria: set[str]) -> list[Band]:
    raw = branch.get("bands", [])
    if not isinstance(raw, list) or not raw:
        check.add(("branch",), N_("[[branch.bands]] must list the star bands."))
        return []
    bands: list[tuple[Band, int]] = []
    for index, table in enumerate(raw):
        path = ("branch", "bands", index)
        stars = table.get("stars")
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            check.add((*path, "stars"), N_("“%(field)s” must be a whole number from 1 to 5."), field="stars")
            continue
        low = check.points(table, path, "from", positive=True)
        high = check.points(table, path, "to", positive=True)
        requires = table.get("requires")
        if requires is not None and requires not in criteria:
            check.add(
                (*path, "requires"),
                N_("“%(field)s” names no criterion: “%(key)s”."),
                field="requires",
                key=str(requires),
            )
        if low is None or high is None:
            continue
        if low >= high:
            check.add((*path, "from"), N_("A band's “%(low)s” must be below its “%(high)s”."), low="from", high="to")
            continue
        bands.append((Band(stars, low, high, requires if isinstance(requires, str) else None), index))
    ordered = sorted(bands, key=lambda pair: pair[0].low)
    expected = 0
    for band, index in ordered:
        where = ("branch", "bands", index, "from")
        if band.low > expected:
            check.add(
                where,
                N_("Scores from %(low)s to %(high)s fall in no band."),
                low=tenths_text(expected),
                high=tenths_text(band.low),
            )
        elif band.low < expected:
            check.add(where, N_("This band overlaps another below %(score)s."), score=tenths_text(expected))
        expected = max(expected, band.high)
    if ordered and total and expected != total:
        index = ordered[-1][1]
        check.add(
            ("branch", "bands", index, "to"),
            N_("The bands end at %(end)s, not at the total %(total)s."),
            end=tenths_text(expected),
            total=tenths_text(total),
        )
    return [band for band, _ in bands]


@cache
def default_rules_text() -> str:
    """The shipped example rules."""
    return DEFAULT_RULES_PATH.read_text(encoding="utf-8")


@cache
def cached_rules(text: str) -> Rules:
    """Parse once per distinct text (the stored versions are re-read on every computation)."""
    return parse_rules(text)
