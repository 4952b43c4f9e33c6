"""The catalog of study materials (学习材料): names, parsing, who sees which material, adding one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_admin_of, require_branch_leader
from bot.services.kinds_of_meeting import KINDS_BY_ID, FirstAgenda
from storage import first_agenda as store
from storage import people, queries
from storage.first_agenda import (
    MaterialKind,
    StudyForm,
    StudyMaterial,
)
from storage.models import Member, Organisation, OrgKind

FIRST_PARTY_DAY = date(1921, 7, 1)
MAX_TITLE = 300
MAX_SOURCE = 200
MAX_URL = 500
MAX_BODY = 20_000
MAX_NOTE = 500
MAX_LEADER = 100
MAX_MATERIALS_PER_ITEM = 10

KIND_NAMES: dict[str, str] = {
    MaterialKind.SPEECH: N_("Important speech"),
    MaterialKind.INSTRUCTION: N_("Important instruction"),
    MaterialKind.ARTICLE: N_("Article"),
    MaterialKind.MEETING_SPIRIT: N_("Meeting spirit"),
}
FORM_NAMES: dict[str, str] = {
    StudyForm.CONVEYING: N_("Conveying and studying"),
    StudyForm.DISCUSSION: N_("Group discussion"),
    StudyForm.TUTORIAL: N_("Tutorial"),
    StudyForm.EXCHANGE: N_("Exchange of views"),
}
# What an administrator may type for a type, in either language.
_KIND_ALIASES: dict[str, MaterialKind] = {
    "speech": MaterialKind.SPEECH,
    "讲话": MaterialKind.SPEECH,
    "重要讲话": MaterialKind.SPEECH,
    "instruction": MaterialKind.INSTRUCTION,
    "指示": MaterialKind.INSTRUCTION,
    "重要指示": MaterialKind.INSTRUCTION,
    "批示": MaterialKind.INSTRUCTION,
    "指示批示": MaterialKind.INSTRUCTION,
    "article": MaterialKind.ARTICLE,
    "文章": MaterialKind.ARTICLE,
    "meeting_spirit": MaterialKind.MEETING_SPIRIT,
    "meeting-spirit": MaterialKind.MEETING_SPIRIT,
    "spirit": MaterialKind.MEETING_SPIRIT,
    "会议精神": MaterialKind.MEETING_SPIRIT,
}
_IDS = re.compile(r"^\s*#?\d+(\s*[,，、]\s*#?\d+)*\s*$")

Who = Actor | None  # None: the command line

# --------------------------------------------------------------------------------------------------------------
# Parsing and names


def parse_material_kind(text: str | None) -> MaterialKind | None:
    """A material type from its id or its Chinese name; None for an empty text; InvalidInput otherwise."""
    if text is None or not text.strip():
        return None
    found = _KIND_ALIASES.get(text.strip().lower())
    if found is None:
        raise InvalidInput(
            N_("Unknown type %(value)s: use speech, instruction, article or meeting_spirit."), value=text.strip()
        )
    return found


def parse_material_ids(text: str) -> list[int] | None:
    """``12`` / ``#12`` / ``12, 15`` → the ids; None when the text is a title rather than ids."""
    if not _IDS.match(text):
        return None
    return [int(part) for part in re.findall(r"\d+", text)]


def meeting_kind_name(kind_id: str, locale: str) -> str:
    """A meeting kind's name in the locale (the kinds table carries both names)."""
    kind = KINDS_BY_ID.get(kind_id)
    if kind is None:
        return kind_id
    return kind.name_zh if locale.startswith("zh") else kind.name_en


def needs_first_agenda(kind_id: str) -> bool:
    """Whether a meeting of this kind must open with the first agenda item."""
    kind = KINDS_BY_ID.get(kind_id)
    return kind is not None and kind.first_agenda is FirstAgenda.REQUIRED


def may_carry_first_agenda(kind_id: str) -> bool:
    """Whether a meeting of this kind may record one (required or optional; unknown kinds may)."""
    kind = KINDS_BY_ID.get(kind_id)
    return kind is None or kind.first_agenda is not FirstAgenda.NONE


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --------------------------------------------------------------------------------------------------------------
# The organisation tree


async def ancestor_ids(session: AsyncSession, org_id: int) -> list[int]:
    """``org_id`` and every organisation above it, nearest first."""
    return await people.ancestors(session, org_id)


async def _member(session: AsyncSession, actor: Who) -> Member | None:
    return None if actor is None else await session.get(Member, actor.member_id)


def _audit(
    session: AsyncSession, who: Member | None, action: str, entity: str, entity_id: object, **details: Any
) -> None:
    queries.audit(
        session,
        actor=who,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=details,
    )


async def _require_org_leader(session: AsyncSession, actor: Who, org_id: int) -> Organisation:
    """A branch's meetings are its leaders' (and its administrators'); a unit's are its administrators'."""
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if actor is None:
        return org
    if org.kind == OrgKind.BRANCH:
        return await require_branch_leader(session, actor, org_id)
    return await require_admin_of(session, actor, org_id)


# --------------------------------------------------------------------------------------------------------------
# The catalog


async def _visible_owner_ids(session: AsyncSession, actor: Who) -> set[int] | None:
    """Catalogs ``actor`` sees (None: all of them)."""
    if actor is None:
        return None
    owners = set(await ancestor_ids(session, actor.org_id))
    if actor.is_admin:
        owners |= await queries.subtree_ids(session, actor.org_id)
    return owners


async def _visible_to_org(session: AsyncSession, material: StudyMaterial, org_id: int) -> bool:
    """Whether a branch (or unit) may study ``material``: its catalog or one above it, or dispatched to it."""
    if material.owner_org_id in await ancestor_ids(session, org_id):
        return True
    return await store.is_dispatched(session, material.id, branch_id=org_id)


async def get_material(session: AsyncSession, actor: Who, material_id: int) -> StudyMaterial:
    """A material this person may see; NotFound for one that does not exist or is not theirs to see."""
    # a forged button's huge id: no such row (and SQLite cannot even bind it)
    material = await session.get(StudyMaterial, material_id) if 0 < material_id < 2**63 else None
    if material is None:
        raise NotFound(N_("This study material no longer exists, or it is not yours to see."), id=material_id)
    if actor is None:
        return material
    owners = await _visible_owner_ids(session, actor)
    assert owners is not None
    if material.owner_org_id in owners:
        return material
    if not actor.is_admin and await _visible_to_org(session, material, actor.org_id):
        return material
    if actor.is_admin and await store.is_dispatched(session, material.id, under=actor.org_id):
        return material
    raise NotFound(N_("This study material no longer exists, or it is not yours to see."), id=material_id)


def validate_issued_on(issued_on: date, env: ServiceEnv) -> date:
    """The date of a speech or instruction: not in the future (in the configured zone), not before the
    Party existed."""
    today = env.today()
    if issued_on > today:
        raise InvalidInput(N_("The date %(date)s is in the future."), date=issued_on.isoformat())
    if issued_on < FIRST_PARTY_DAY:
        raise InvalidInput(N_("The date %(date)s is too early; check the year."), date=issued_on.isoformat())
    return issued_on


def validate_title(title: str | None) -> str:
    """A material's title, whitespace tidied; InvalidInput when empty or too long."""
    cleaned = _clean(title)
    if not cleaned:
        raise InvalidInput(N_("The title is missing."))
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput(N_("The title is too long (at most %(max)s characters)."), max=MAX_TITLE)
    return cleaned


async def add_material(
    session: AsyncSession,
    actor: Who,
    *,
    title: str,
    source: str | None,
    issued_on: date | None,
    kind: MaterialKind | str | None = None,
    body: str | None = None,
    url: str | None = None,
    attachment_file_id: str | None = None,
    attachment_name: str | None = None,
    owner_org_id: int | None = None,
    env: ServiceEnv,
) -> StudyMaterial:
    """Add a material to a catalog: an administrator's organisation's, or a secretary's own branch's.

    ``env`` gives the configured zone, for "not in the future"."""
    if actor is not None:
        if actor.is_admin:
            owner_org_id = owner_org_id or actor.org_id
            await require_admin_of(session, actor, owner_org_id)
        elif actor.leads_branch:
            if owner_org_id not in (None, actor.org_id):
                raise PermissionDenied(N_("You may only add materials to your own branch's catalog."))
            owner_org_id = actor.org_id
            await require_branch_leader(session, actor, owner_org_id)
        else:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    if owner_org_id is None or await session.get(Organisation, owner_org_id) is None:
        raise NotFound(N_("No such organisation."))
    clean_title = validate_title(title)
    clean_source = _clean(source)
    if not clean_source:
        raise InvalidInput(N_("The issuing source is missing (for example 新华社 or 中央办公厅)."))
    if len(clean_source) > MAX_SOURCE:
        raise InvalidInput(N_("The source is too long (at most %(max)s characters)."), max=MAX_SOURCE)
    if issued_on is None:
        raise InvalidInput(N_("The date of the speech or instruction is missing."))
    validate_issued_on(issued_on, env)
    material_kind = parse_material_kind(kind) if kind is not None else None
    clean_url = (url or "").strip() or None
    if clean_url is not None and (not re.match(r"^https?://\S+$", clean_url) or len(clean_url) > MAX_URL):
        raise InvalidInput(N_("The link must be a web address starting with http:// or https://."))
    clean_body = (body or "").strip() or None
    if clean_body is not None and len(clean_body) > MAX_BODY:
        raise InvalidInput(N_("The text is too long (at most %(max)s characters); give a link instead."), max=MAX_BODY)
    duplicate = await store.material_titled(session, owner_org_id, clean_title, issued_on=issued_on)
    if duplicate is not None:
        raise Conflict(N_("《%(title)s》 of that date is already in the catalog."), title=clean_title)
    who = await _member(session, actor)
    material = StudyMaterial(
        owner_org_id=owner_org_id,
        title=clean_title,
        source=clean_source,
        issued_on=issued_on,
        kind=material_kind.value if material_kind else None,
        body=clean_body,
        url=clean_url,
        attachment_file_id=attachment_file_id,
        attachment_name=_clean(attachment_name),
        created_by_id=who.id if who else None,
    )
    session.add(material)
    await session.flush()
    _audit(session, who, "material.add", "study_material", material.id, title=clean_title, org=owner_org_id)
    return material


async def _typed_material(
    session: AsyncSession, org_id: int, title: str, who: Member | None
) -> tuple[StudyMaterial, bool]:
    """A title typed while recording: the organisation's material of that title, or a new one."""
    clean_title = validate_title(title)
    existing = await store.material_titled(session, org_id, clean_title)
    if existing is not None:
        return existing, False
    material = StudyMaterial(owner_org_id=org_id, title=clean_title, created_by_id=who.id if who else None)
    session.add(material)
    await session.flush()
    return material, True


@dataclass(frozen=True)
class BranchMaterial:
    """A material as a branch sees it: when it was dispatched to the branch, if it was."""

    material: StudyMaterial
    dispatched_at: datetime | None


async def materials_for_org(session: AsyncSession, org_id: int, *, limit: int | None = None) -> list[BranchMaterial]:
    """What a branch may pick from: dispatched to it (newest dispatch first), then the catalogs it sees."""
    owners = await ancestor_ids(session, org_id)
    dispatched = await store.dispatched_to(session, org_id)
    rows = await store.materials_for_branch(session, owners, org_id)
    floor = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(
        rows,
        key=lambda m: (
            m.id in dispatched,
            dispatched.get(m.id) or floor,
            m.issued_on or date.min,
            m.created_at,
            m.id,
        ),
        reverse=True,
    )
    if limit is not None:
        ordered = ordered[:limit]
    return [BranchMaterial(m, dispatched.get(m.id)) for m in ordered]


@dataclass(frozen=True)
class CatalogEntry:
    """A material in an administrator's (or a branch's) list, with how many branches it reached."""

    material: StudyMaterial
    dispatched_at: datetime | None  # a branch: when it came; an administrator: the latest dispatch
    branches: int  # branches it was dispatched to (within what the person sees)


async def catalog(session: AsyncSession, actor: Who, *, limit: int = 10) -> list[CatalogEntry]:
    """The latest materials this person sees: a branch's pickable list, or an administrator's catalogs."""
    if actor is not None and not actor.is_admin:
        if not actor.leads_branch:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
        return [
            CatalogEntry(m.material, m.dispatched_at, 1 if m.dispatched_at else 0)
            for m in await materials_for_org(session, actor.org_id, limit=limit)
        ]
    owners = await _visible_owner_ids(session, actor)
    if owners is not None:
        # An administrator's list: their catalogs and those above, not each branch's typed titles.
        kinds = await store.org_kinds(session)
        owners = {o for o in owners if kinds.get(o) != OrgKind.BRANCH}
    materials = await store.latest_materials(session, owners, limit)
    totals = await store.dispatch_totals(
        session, [m.id for m in materials], under=None if actor is None else actor.org_id
    )
    entries = []
    for material in materials:
        count, latest = totals.get(material.id, (0, None))
        entries.append(CatalogEntry(material, latest, count))
    return entries


async def materials_by_id(session: AsyncSession, material_ids: Sequence[int]) -> dict[int, StudyMaterial]:
    """The materials of these ids (ids the caller got from this feature's own results)."""
    return await store.materials_by_id(session, material_ids)
