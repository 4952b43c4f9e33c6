"""The organisation tree and the roster: imports (all or nothing, idempotent), export, listing."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import today
from bot.i18n import N_, SUPPORTED_LOCALES
from bot.services.org_rules import Node, tree_errors
from bot.services.tabular import (
    FORMULA_STARTS,
    ImportRejected,
    ImportResult,
    RowError,
    apply_changes,
    neutralize,
    parse_bool,
    parse_date,
    read_table,
)
from storage import core as core_store
from storage import queries
from storage.membership import sync_memberships
from storage.models import Member, Organisation, OrgKind, Role

FOUNDING_DATE = date(1921, 7, 1)  # no one joined the Party before it was founded

ORG_COLUMNS_REQUIRED = {"code", "name", "kind"}
ORG_COLUMNS_OPTIONAL = {"parent", "theme_day"}

ROSTER_COLUMNS_REQUIRED = {"member_no", "name", "branch"}
ROSTER_COLUMNS_OPTIONAL = {
    "group",
    "role",
    "delegated",
    "join_date",
    "probationary",
    "full_member_date",
    "phone",
    "community",
    "telegram_id",
    "language",
    "status",  # active (在册) or transferred (组织关系转出)
    "active",  # yes / no: the same as status, as a flag (no = left the branch: transferred out or died)
    "id",  # written by the export; checked against member_no, never used to find a member
}
ROSTER_COLUMNS = [
    "member_no",
    "name",
    "branch",
    "group",
    "role",
    "delegated",
    "join_date",
    "probationary",
    "full_member_date",
    "phone",
    "community",
    "telegram_id",
    "language",
    "status",
]
STATUS_WORDS: dict[str, bool] = {  # → active
    "active": True,
    "在册": True,
    "正常": True,
    "transferred": False,
    "转出": False,
    "已转出": False,
}

# Both the ids and the Chinese words a secretary would type in a spreadsheet.
ROLE_WORDS: dict[str, Role] = {
    "member": Role.MEMBER,
    "党员": Role.MEMBER,
    "committee": Role.COMMITTEE,
    "支部委员": Role.COMMITTEE,
    "委员": Role.COMMITTEE,
    "secretary": Role.SECRETARY,
    "支部书记": Role.SECRETARY,
    "书记": Role.SECRETARY,
    "admin": Role.ADMIN,
    "管理员": Role.ADMIN,
}
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,20}$")


def normalize_phone(phone: str | None) -> str | None:
    """Digits only, without a leading +86, so that a shared contact and the roster compare equal."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


async def import_organisations(session: AsyncSession, path: Path) -> ImportResult:
    """Create or update organisations from a file (code, name, kind, parent, theme_day). All or nothing."""
    rows = read_table(path, ORG_COLUMNS_REQUIRED, ORG_COLUMNS_OPTIONAL)
    existing = {org.code: org for org in await queries.all_organisations(session)}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed: list[tuple[int, dict[str, Any]]] = []
    kinds = {k.value for k in OrgKind}
    for number, row in rows:
        code, name, kind = row["code"], row["name"], row["kind"]
        if not code:
            errors.append(RowError(number, N_("the code is empty")))
        elif code in seen:
            errors.append(
                RowError(number, N_("code %(code)s repeats row %(other)d"), {"code": code, "other": seen[code]})
            )
        seen.setdefault(code, number)
        if not name:
            errors.append(RowError(number, N_("the name is empty")))
        errors.extend(_too_long(number, {"code": (code, 64), "name": (name, 200)}))
        if kind not in kinds:
            errors.append(
                RowError(
                    number,
                    N_("unknown kind %(kind)s (use %(kinds)s)"),
                    {"kind": kind, "kinds": ", ".join(sorted(kinds))},
                )
            )
        theme_day: int | None = None
        if row.get("theme_day"):
            try:
                theme_day = int(row["theme_day"])
                if not 1 <= theme_day <= 28:
                    raise ValueError
            except ValueError:
                errors.append(RowError(number, N_("theme_day must be a day of the month from 1 to 28")))
        parsed.append(
            (
                number,
                {"code": code, "name": name, "kind": kind, "parent": row.get("parent") or None, "theme_day": theme_day},
            )
        )
    known_codes = set(existing) | set(seen)
    for number, record in parsed:
        if record["parent"] and record["parent"] not in known_codes:
            errors.append(RowError(number, N_("unknown parent %(parent)s"), {"parent": record["parent"]}))
    errors.extend(await _resulting_tree_errors(session, existing, parsed))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    created = updated = unchanged = 0
    by_code = dict(existing)
    pending = list(parsed)
    # Parents may come after children in the file: place what can be placed until nothing is left.
    while pending:
        progressed = False
        for item in list(pending):
            number, record = item
            parent_code = record["parent"]
            if parent_code and parent_code not in by_code:
                continue
            parent_id = by_code[parent_code].id if parent_code else None
            org = by_code.get(record["code"])
            if org is None:
                org = Organisation(
                    code=record["code"],
                    name=record["name"],
                    kind=record["kind"],
                    parent_id=parent_id,
                    theme_day=record["theme_day"],
                )
                session.add(org)
                await session.flush()
                by_code[org.code] = org
                created += 1
            elif (org.name, org.kind, org.parent_id, org.theme_day) != (
                record["name"],
                record["kind"],
                parent_id,
                record["theme_day"],
            ):
                org.name, org.kind, org.parent_id, org.theme_day = (
                    record["name"],
                    record["kind"],
                    parent_id,
                    record["theme_day"],
                )
                updated += 1
            else:
                unchanged += 1
            pending.remove(item)
            progressed = True
        if not progressed:
            raise ImportRejected([RowError(n, N_("the parents form a loop")) for n, _ in pending])
    queries.audit(
        session,
        actor=None,
        action="import",
        entity="organisations",
        details={"file": path.name, "created": created, "updated": updated},
    )
    return ImportResult(created, updated, unchanged)


def _too_long(number: int, values: dict[str, tuple[str, int]]) -> list[RowError]:
    """Row errors for values longer than their column holds (PostgreSQL would refuse the whole import)."""
    return [
        RowError(
            number,
            N_("%(column)s is too long: %(length)d characters, at most %(max)d"),
            {"column": column, "length": len(value), "max": limit},
        )
        for column, (value, limit) in values.items()
        if len(value) > limit
    ]


async def _resulting_tree_errors(
    session: AsyncSession, existing: dict[str, Organisation], parsed: list[tuple[int, dict[str, Any]]]
) -> list[RowError]:
    """Check the tree the import would leave: kinds under allowed parents, one root, no loops; and that no
    branch holding members, nor Party group holding members, becomes another kind."""
    by_id = {org.id: org for org in existing.values()}
    nodes = {
        org.code: Node(org.code, org.kind, by_id[org.parent_id].code if org.parent_id in by_id else None, None)
        for org in existing.values()
    }
    for number, record in parsed:
        if record["code"]:
            nodes[record["code"]] = Node(record["code"], record["kind"], record["parent"], number)
    errors = tree_errors(nodes)
    changed = {
        existing[record["code"]].id: (number, record)
        for number, record in parsed
        if record["code"] in existing and existing[record["code"]].kind != record["kind"]
    }
    if changed:
        members = await core_store.members_holding(session, list(changed))
        reported: set[int] = set()
        for org_id, group_id, role in members:
            for held in (org_id, group_id):
                if held in changed and held not in reported and (held == group_id or role != Role.ADMIN):
                    number, record = changed[held]
                    reported.add(held)
                    errors.append(
                        RowError(
                            number,
                            N_("%(code)s has members on the roster, so it cannot become a %(kind)s"),
                            {"code": record["code"], "kind": record["kind"]},
                        )
                    )
    return errors


async def import_roster(session: AsyncSession, path: Path, *, tz: ZoneInfo) -> ImportResult:
    """Create or update members from a roster file, keyed by ``member_no``. Validates everything first.

    ``tz`` is the configured zone: "not in the future" means after today there (no default, so that a caller
    cannot silently check it in Asia/Shanghai)."""
    rows = read_table(path, ROSTER_COLUMNS_REQUIRED, ROSTER_COLUMNS_OPTIONAL)
    orgs = list(await queries.all_organisations(session))
    by_code = {o.code: o for o in orgs}
    by_name: dict[str, list[Organisation]] = {}
    for o in orgs:
        by_name.setdefault(o.name, []).append(o)
    existing = await core_store.members_by_number(session)
    folded = {no.casefold(): no for no in existing}
    telegram_owner = {m.telegram_id: m.member_no for m in existing.values() if m.telegram_id}
    errors: list[RowError] = []
    seen_no: dict[str, int] = {}
    seen_tg: dict[int, int] = {}
    records: list[dict[str, Any]] = []
    local_today = today(tz)

    def find_org(text: str) -> Organisation | None:
        if text in by_code:
            return by_code[text]
        named = by_name.get(text, [])
        return named[0] if len(named) == 1 else None

    for number, row in rows:

        def bad(msgid: str, **params: Any) -> None:
            errors.append(RowError(number, msgid, params))  # noqa: B023 - used within this iteration

        member_no, name = row["member_no"], row["name"]
        key = member_no.casefold()  # MZ101 and mz101 are one member written twice, not two members
        if not member_no:
            bad(N_("member_no is empty"))
        elif key in seen_no:
            bad(
                N_("member %(member_no)s is listed twice (also row %(other)d)"),
                member_no=member_no,
                other=seen_no[key],
            )
        else:
            seen_no[key] = number
        if member_no and folded.get(key, member_no) != member_no:
            bad(
                N_(
                    "member_no %(member_no)s differs from %(stored)s on the roster only in letter case; "
                    "write it as stored"
                ),
                member_no=member_no,
                stored=folded[key],
            )
        if not name:
            bad(N_("the name is empty"))
        for error in _too_long(number, {"member_no": (member_no, 64), "name": (name, 100)}):
            errors.append(error)
        for column in ("community",):
            for error in _too_long(number, {column: (row.get(column, ""), 200)}):
                errors.append(error)
        if row.get("id") and member_no in existing and row["id"] != str(existing[member_no].id):
            # The id column comes from an export: a different id means the member number was edited.
            bad(
                N_("id %(id)s does not match member %(member_no)s; member numbers cannot be changed by an import"),
                id=row["id"],
                member_no=member_no,
            )
        active = STATUS_WORDS.get(row.get("status", "").strip().lower() or "active")
        if active is None:
            bad(N_("status must be active or transferred, not %(value)s"), value=row.get("status", ""))
        role_text = row.get("role", "").strip().lower() or "member"
        role = ROLE_WORDS.get(role_text)
        if role is None:
            bad(N_("unknown role %(role)s (use member, committee, secretary or admin)"), role=role_text)
        org = find_org(row["branch"])
        if org is None:
            bad(N_("unknown branch %(branch)s"), branch=row["branch"] or "—")
        elif role is not Role.ADMIN and org.kind != OrgKind.BRANCH:
            bad(N_("%(branch)s is not a branch"), branch=row["branch"])
        group_id = None
        if row.get("group"):
            group = find_org(row["group"])
            if group is None or group.kind != OrgKind.PARTY_GROUP or (org is not None and group.parent_id != org.id):
                bad(N_("unknown Party group %(group)s in this branch"), group=row["group"])
            else:
                group_id = group.id
        dates: dict[str, date | None] = {}
        for column in ("join_date", "full_member_date"):
            text = row.get(column, "")
            dates[column] = None
            if text:
                try:
                    value = parse_date(text)
                except ValueError:
                    bad(N_("%(column)s %(value)s is not a date (write YYYY-MM-DD)"), column=column, value=text)
                    continue
                if value > local_today:
                    bad(N_("%(column)s %(value)s is in the future"), column=column, value=text)
                elif value < FOUNDING_DATE:
                    bad(
                        N_("%(column)s %(value)s is before the Party was founded (1921-07-01)"),
                        column=column,
                        value=text,
                    )
                else:
                    dates[column] = value
        if dates["join_date"] and dates["full_member_date"] and dates["full_member_date"] < dates["join_date"]:
            bad(
                N_("full_member_date %(full)s is before join_date %(joined)s"),
                full=dates["full_member_date"].isoformat(),
                joined=dates["join_date"].isoformat(),
            )
        flags: dict[str, bool] = {}
        for column in ("probationary", "delegated", "active"):
            try:
                # A blank ``active`` keeps the member on the roster; ``no`` takes them off (left, died).
                flags[column] = parse_bool(row.get(column, "") or ("yes" if column == "active" else ""))
            except ValueError:
                bad(N_("%(column)s must be yes or no, not %(value)s"), column=column, value=row.get(column, ""))
                flags[column] = False
        if flags["delegated"] and role is not None and role is not Role.COMMITTEE:
            bad(N_("delegated applies only to a committee member, not to %(role)s"), role=role.value)
        phone = row.get("phone") or None
        if phone and not _PHONE.match(phone):
            bad(N_("phone %(phone)s is not a phone number"), phone=phone)
        telegram_id: int | None = None
        if row.get("telegram_id"):
            try:
                telegram_id = int(row["telegram_id"])
                if telegram_id <= 0:
                    raise ValueError
            except ValueError:
                bad(N_("telegram_id %(value)s is not a Telegram user id"), value=row["telegram_id"])
                telegram_id = None
            if telegram_id is not None:
                owner = telegram_owner.get(telegram_id)
                if telegram_id in seen_tg:
                    bad(
                        N_("telegram_id %(value)s is also on row %(other)d"),
                        value=telegram_id,
                        other=seen_tg[telegram_id],
                    )
                elif owner is not None and owner != member_no:
                    bad(N_("telegram_id %(value)s belongs to member %(owner)s"), value=telegram_id, owner=owner)
                seen_tg.setdefault(telegram_id, number)
        language = row.get("language") or None
        if language and language not in SUPPORTED_LOCALES:
            bad(N_("language must be zh_CN or en, not %(value)s"), value=language)
        records.append(
            {
                "member_no": member_no,
                "name": name,
                "org_id": org.id if org else None,
                "group_id": group_id,
                "role": role.value if role else None,
                "delegated": flags["delegated"],
                "join_date": dates["join_date"],
                "probationary": flags["probationary"],
                "full_member_date": dates["full_member_date"],
                "phone": phone,
                "community": row.get("community") or None,
                "telegram_id": telegram_id,
                "language": language,
                "active": (active if active is not None else True) and flags["active"],
            }
        )
    if errors:
        raise ImportRejected(errors)
    transferred: list[Member] = []
    created = updated = unchanged = 0
    for record in records:
        member = existing.get(record["member_no"])
        if member is None:
            if record["telegram_id"] is None:
                record.pop("telegram_id")  # keep an account bound by invitation out of reach of a blank cell
            session.add(Member(**record))
            created += 1
            continue
        if record["telegram_id"] is None:
            record.pop("telegram_id")
        if member.active and not record["active"]:
            # 组织关系转出 goes through the one place that ends a membership (access, pending pushes, audit).
            transferred.append(member)
            record.pop("active")
            record.pop("telegram_id", None)
        if apply_changes(member, record) or member in transferred:
            updated += 1
        else:
            unchanged += 1
    await session.flush()
    from bot.services.membership import transfer_out  # imported here: membership imports this module

    for member in transferred:
        await transfer_out(session, None, member, on=local_today, source=path.name)
    # A changed branch closes the old membership and opens a new one; a member taken off closes theirs.
    await sync_memberships(session, local_today)
    queries.audit(
        session,
        actor=None,
        action="import",
        entity="roster",
        details={"file": path.name, "created": created, "updated": updated},
    )
    return ImportResult(created, updated, unchanged)


async def export_roster(session: AsyncSession, path: Path | None) -> list[dict[str, str]]:
    """The roster as rows (with each member's id), written to ``path`` as CSV when given."""
    orgs = {o.id: o for o in await queries.all_organisations(session)}
    members = await core_store.all_members(session)
    rows = []
    for m in members:
        rows.append(
            {
                "id": str(m.id),
                "member_no": m.member_no,
                "name": m.name,
                "branch": orgs[m.org_id].code,
                "group": orgs[m.group_id].code if m.group_id else "",
                "role": m.role,
                "delegated": "yes" if m.delegated else "no",
                "join_date": m.join_date.isoformat() if m.join_date else "",
                "probationary": "yes" if m.probationary else "no",
                "full_member_date": m.full_member_date.isoformat() if m.full_member_date else "",
                "phone": m.phone or "",
                "community": m.community or "",
                "telegram_id": str(m.telegram_id) if m.telegram_id else "",
                "language": m.language or "",
                "status": "active" if m.active else "transferred",
            }
        )
    if path is not None:
        write_roster(path, rows)
    return rows


def write_roster(target: Path | TextIO, rows: list[dict[str, str]]) -> None:
    """Write exported rows as CSV (UTF-8 with a BOM, so Excel reads the Chinese) or, for a ``.xlsx`` path, as a
    workbook. Cells a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) are neutralised."""
    fieldnames = ["id", *ROSTER_COLUMNS]
    if isinstance(target, Path) and target.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(fieldnames)
        for number, row in enumerate(rows, start=2):
            for column, name in enumerate(fieldnames, start=1):
                cell = sheet.cell(row=number, column=column)
                cell.value = row[name]
                cell.data_type = "s"  # a text cell, never a formula, whatever it starts with
                if row[name].startswith(FORMULA_STARTS):
                    cell.quotePrefix = True  # what Excel itself stores for a typed 'apostrophe: stays text if edited
        workbook.save(target)
        return
    safe = [{name: neutralize(value) for name, value in row.items()} for row in rows]
    if isinstance(target, Path):
        with target.open("w", encoding="utf-8-sig", newline="") as fp:
            _write_csv(fp, fieldnames, safe)
    else:
        _write_csv(target, fieldnames, safe)


def _write_csv(fp: TextIO, fieldnames: list[str], rows: list[dict[str, str]]) -> None:
    writer = csv.DictWriter(fp, fieldnames=fieldnames)
    writer.writeheader()
    writer.writerows(rows)


async def org_tree(session: AsyncSession) -> list[dict[str, Any]]:
    """Every organisation as ``{"id", "name", "kind", "parent", "code", "depth"}``, in tree order."""
    orgs = list(await queries.all_organisations(session))
    children: dict[int | None, list[Organisation]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in children.get(parent, []):
            out.append(
                {
                    "id": org.id,
                    "name": org.name,
                    "kind": org.kind,
                    "parent": org.parent_id,
                    "code": org.code,
                    "depth": depth,
                }
            )
            walk(org.id, depth + 1)

    walk(None, 0)
    return out
