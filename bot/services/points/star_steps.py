"""The steps of a branch's star rating: self-assessment → submitted → reviewed (adjusted with reasons) →
announced for a public notice period (公示, working days) → objected, or published. Each step is one
conditional write on the rating's status (two people pressing at once: one wins, the other is told), audited,
and the branch (or its administrators) told through the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_branch_leader
from bot.services.notifier import Message, Notifier
from bot.services.points.rules import Criterion, Tenths, tenths_text
from bot.services.points.service import parse_points
from bot.services.points.stars import BranchStars, ratings, snapshot
from bot.services.points.versions import resolve_org, rules_in_force
from storage import points as store
from storage import queries
from storage.models import Member, Organisation, OrgKind
from storage.people import admins_above, leaders_of
from storage.points import StarRating, StarStatus

MAX_NOTE = 200
MAX_PHOTOS = 5


async def find_branch(session: AsyncSession, ref: str | int) -> Organisation:
    """A branch by code or id."""
    org = await session.get(Organisation, ref) if isinstance(ref, int) else await resolve_org(session, ref)
    if org is None or org.kind != OrgKind.BRANCH:
        raise NotFound(N_("No such branch."))
    return org


async def _require_admin(session: AsyncSession, actor: Actor | None, branch: Organisation) -> None:
    if actor is None:
        return  # the command line: the operator
    if not actor.is_admin or branch.id not in await queries.subtree_ids(session, actor.org_id):
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))


async def _rating_row(session: AsyncSession, branch_id: int, year: int) -> StarRating:
    """The branch's rating row for the year, created on first use (the unique key makes a race harmless)."""
    return await store.rating_row(session, branch_id, year)


async def _move(
    session: AsyncSession, row: StarRating, allowed: tuple[str, ...], refusal: str, **values: object
) -> None:
    """One conditional write: the row moves only from an allowed status; otherwise nothing changes."""
    if not await store.move_rating(session, row.id, allowed, **values):
        raise Conflict(refusal)
    await session.refresh(row)


@dataclass(frozen=True)
class Tell:
    """Who is told of a step (the branch's leaders, or the administrators above it), and with what."""

    to: Literal["branch", "admins"]
    step: str
    stars: BranchStars | None = None
    params: dict[str, object] = field(default_factory=dict)


async def _decide(
    session: AsyncSession,
    branch: Organisation,
    row: StarRating,
    allowed: tuple[str, ...],
    refusal: str,
    *,
    label: str | None,
    action: str,
    details: dict[str, object],
    tell: Tell | None,
    env: ServiceEnv | None,  # for the notice (None: nobody is told)
    **values: object,
) -> None:
    """A step's decision: one conditional write on the rating's status (the loser gets ``refusal``), its audit
    entry, and the notice to the branch or its administrators, all in the caller's transaction."""
    await _move(session, row, allowed, refusal, **values)
    queries.audit(
        session, actor=None, label=label, action=action, entity="star_rating", entity_id=row.id, details=details
    )
    if tell is not None:
        assert env is not None, "a step that tells people needs the environment (their default language)"
        people = await _leaders(session, branch) if tell.to == "branch" else await _admins_above(session, branch)
        await _send(session, env, people, row, tell.step, branch, tell.stars, **tell.params)


def _label(actor: Actor | None) -> str | None:
    return f"member:{actor.member_id}" if actor else None


async def branch_stars(
    session: AsyncSession, branch: Organisation, year: int, today: date, tz: ZoneInfo
) -> BranchStars:
    """One branch's rating (live, or as published)."""
    return (await ratings(session, [branch], year, today, tz))[0]


async def view(
    session: AsyncSession, actor: Actor, year: int, today: date, tz: ZoneInfo, branch_id: int | None = None
) -> BranchStars:
    """The rating a leader (their branch) or an administrator (a branch of their subtree) may see."""
    branch = await require_branch_leader(session, actor, branch_id if branch_id is not None else actor.org_id)
    return await branch_stars(session, branch, year, today, tz)


async def self_assess(
    session: AsyncSession, actor: Actor, key: str, score_text: str, note: str, year: int
) -> StarRating:
    """The branch scores a manual criterion itself, with a short note (photos come separately)."""
    branch = await require_branch_leader(session, actor, actor.org_id)
    if actor.is_admin:
        raise PermissionDenied(N_("The self-assessment is the branch's own: its secretary fills it in."))
    criterion = (await rules_in_force(session, branch.id)).rules.criterion(key)
    if criterion is None or criterion.source != "manual":
        raise InvalidInput(N_("“%(key)s” is not a criterion the branch scores itself."), key=key)
    score = score_of(criterion, score_text)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(N_("Add a short note on what the score rests on."))
    if len(note) > MAX_NOTE:
        raise InvalidInput(N_("The note is too long (at most %(max)d characters)."), max=MAX_NOTE)
    row = await _rating_row(session, branch.id, year)
    scores = dict(row.self_scores or {})
    photos = list((scores.get(key) or {}).get("photos", []))
    scores[key] = {"score": score, "note": note, "photos": photos}
    await _decide(
        session,
        branch,
        row,
        (StarStatus.DRAFT,),
        N_("The rating was submitted; only the administrators change it now."),
        label=_label(actor),
        action="stars.self_assessed",
        details={"key": key, "score": tenths_text(score), "note": note},
        env=None,
        tell=None,
        self_scores=scores,
    )
    return row


async def add_photo(session: AsyncSession, actor: Actor, key: str, file_id: str, year: int) -> int:
    """A photo behind a manual criterion's self-assessment; returns how many it has."""
    branch = await require_branch_leader(session, actor, actor.org_id)
    row = await _rating_row(session, branch.id, year)
    scores = dict(row.self_scores or {})
    own = scores.get(key)
    if own is None:
        raise InvalidInput(N_("Score “%(key)s” first (/stars self %(key)s SCORE NOTE), then add its photos."), key=key)
    photos = list(own.get("photos", []))
    if len(photos) >= MAX_PHOTOS:
        raise InvalidInput(N_("At most %(max)d photos per criterion."), max=MAX_PHOTOS)
    photos.append(file_id)
    scores[key] = {**own, "photos": photos}
    await _decide(
        session,
        branch,
        row,
        (StarStatus.DRAFT,),
        N_("The rating was submitted; only the administrators change it now."),
        label=_label(actor),
        action="stars.photo_added",
        details={"key": key, "photos": len(photos)},
        env=None,
        tell=None,
        self_scores=scores,
    )
    return len(photos)


async def form_criterion(
    session: AsyncSession, actor: Actor, form: Literal["self", "adjust"], branch_id: int, key: str, year: int
) -> Criterion:
    """Before a form asks for a score: the criterion ``actor`` may self-assess (``self``, the branch's leaders, a
    manual criterion, the rating still a draft) or adjust (``adjust``, an administrator of the branch, before
    the notice), refused as the step itself would be. Nothing is written."""
    if form == "self":
        branch = await require_branch_leader(session, actor, branch_id)
        if actor.is_admin or branch.id != actor.org_id:
            raise PermissionDenied(N_("The self-assessment is the branch's own: its secretary fills it in."))
        open_statuses: tuple[str, ...] = (StarStatus.DRAFT,)
        refusal = N_("The rating was submitted; only the administrators change it now.")
    else:
        branch = await find_branch(session, branch_id)
        await _require_admin(session, actor, branch)
        open_statuses = (StarStatus.DRAFT, StarStatus.SUBMITTED, StarStatus.OBJECTED)
        refusal = N_("The rating is under public notice or published: it cannot be changed now.")
    criterion = (await rules_in_force(session, branch.id)).rules.criterion(key)
    if criterion is None or (form == "self" and criterion.source != "manual"):
        raise InvalidInput(N_("“%(key)s” is not a criterion the branch scores itself."), key=key)
    status = (await store.ratings_of(session, [branch.id], year)).get(branch.id)
    if status is not None and status.status not in open_statuses:
        raise Conflict(refusal)
    return criterion


def score_of(criterion: Criterion, score_text: str, locale: str | None = None) -> Tenths:
    """A score typed for ``criterion``: a number from 0 to its weight, at most one decimal. A refusal names the
    criterion in ``locale`` (by its key, as it was typed, without one)."""
    score = parse_points(score_text)
    if not 0 <= score <= criterion.weight:
        name = criterion.name(locale) if locale else criterion.key
        raise InvalidInput(N_("“%(key)s” is scored from 0 to %(max)s."), key=name, max=tenths_text(criterion.weight))
    return score


async def submit(session: AsyncSession, actor: Actor, year: int, today: date, *, env: ServiceEnv) -> BranchStars:
    """The branch sends its self-assessment to the administrators."""
    branch = await require_branch_leader(session, actor, actor.org_id)
    rules = (await rules_in_force(session, branch.id)).rules
    row = await _rating_row(session, branch.id, year)
    missing = [c for c in rules.criteria if c.source == "manual" and c.key not in (row.self_scores or {})]
    if missing:
        names = ("、" if actor.locale == "zh_CN" else ", ").join(c.name(actor.locale) for c in missing)
        raise InvalidInput(N_("Score these criteria first: %(keys)s."), keys=names)
    stars = await branch_stars(session, branch, year, today, env.tz)
    stars.status = StarStatus.SUBMITTED  # as the administrators' notice shows it (nothing is sent if the move fails)
    await _decide(
        session,
        branch,
        row,
        (StarStatus.DRAFT,),
        N_("The rating was already submitted."),
        label=_label(actor),
        action="stars.submitted",
        details={"year": year},
        env=env,
        tell=Tell("admins", "submitted", stars),
        status=StarStatus.SUBMITTED,
    )
    return stars


async def adjust(
    session: AsyncSession,
    actor: Actor | None,
    branch_ref: str | int,
    key: str,
    score_text: str,
    reason: str,
    year: int,
    *,
    env: ServiceEnv,
) -> StarRating:
    """An administrator changes a criterion's score, with a reason the branch sees."""
    branch = await find_branch(session, branch_ref)
    await _require_admin(session, actor, branch)
    criterion = (await rules_in_force(session, branch.id)).rules.criterion(key)
    if criterion is None:
        raise InvalidInput(N_("No criterion “%(key)s” in the rules in force."), key=key)
    score = score_of(criterion, score_text)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("Give a reason: the branch is told why its score changed."))
    row = await _rating_row(session, branch.id, year)
    changes = dict(row.adjustments or {})
    changes[key] = {"score": score, "reason": reason[:500]}
    details: dict[str, object] = {"key": key, "score": tenths_text(score), "reason": reason}
    await _decide(
        session,
        branch,
        row,
        (StarStatus.DRAFT, StarStatus.SUBMITTED, StarStatus.OBJECTED),
        N_("The rating is under public notice or published: it cannot be changed now."),
        label=_label(actor),
        action="stars.adjusted",
        details=details,
        env=env,
        tell=Tell("branch", "adjusted", None, {**details, "name_zh": criterion.name_zh, "name_en": criterion.name_en}),
        adjustments=changes,
    )
    return row


def _closed_year(year: int, today: date) -> None:
    if year >= today.year:
        raise InvalidInput(N_("%(year)d is not over yet: its results can be published from 1 January."), year=year)


async def announce(
    session: AsyncSession, actor: Actor | None, branch_ref: str | int, year: int, today: date, *, env: ServiceEnv
) -> BranchStars:
    """Announce the result for the public notice period (公示) of the rules' working days."""
    branch = await find_branch(session, branch_ref)
    await _require_admin(session, actor, branch)
    _closed_year(year, today)
    rif = await rules_in_force(session, branch.id)
    if rif.example:
        raise Conflict(N_("The rules in force are the shipped example: apply your own rules before publishing."))
    row = await _rating_row(session, branch.id, year)
    stars = await branch_stars(session, branch, year, today, env.tz)
    # Working days of China's calendar (法定节假日 and 调休): a notice over a holiday lasts as many working days.
    ends = env.add_workdays(today, rif.rules.notice_working_days)
    result = snapshot(stars)
    stars.status, stars.notice_ends_on = StarStatus.ANNOUNCED, ends
    await _decide(
        session,
        branch,
        row,
        (StarStatus.SUBMITTED, StarStatus.OBJECTED),
        N_("Only a submitted (or objected) rating can be announced."),
        label=_label(actor),
        action="stars.announced",
        details={"score": tenths_text(stars.score), "stars": stars.stars, "until": ends.isoformat()},
        env=env,
        tell=Tell(
            "branch", "announced", stars, {"until": ends, "score": tenths_text(stars.score), "stars_count": stars.stars}
        ),
        status=StarStatus.ANNOUNCED,
        result=result,
        rules_id=rif.rules_id,
        announced_on=today,
        notice_ends_on=ends,
    )
    return stars


async def object_to(
    session: AsyncSession, actor: Actor, reason: str, year: int, today: date, *, env: ServiceEnv
) -> StarRating:
    """The branch objects to the announced result during the notice period, with a reason."""
    branch = await require_branch_leader(session, actor, actor.org_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("Give the reason for the objection."))
    row = await _rating_row(session, branch.id, year)
    if row.status == StarStatus.ANNOUNCED and row.notice_ends_on is not None and today > row.notice_ends_on:
        raise Conflict(N_("The notice period ended on %(day)s."), day=row.notice_ends_on)
    await _decide(
        session,
        branch,
        row,
        (StarStatus.ANNOUNCED,),
        N_("There is no result under public notice to object to."),
        label=_label(actor),
        action="stars.objected",
        details={"reason": reason},
        env=env,
        tell=Tell("admins", "objected", None, {"reason": reason}),
        status=StarStatus.OBJECTED,
        objection=reason[:1000],
    )
    return row


async def publish(
    session: AsyncSession,
    actor: Actor | None,
    branch_ref: str | int,
    year: int,
    today: date,
    answer: str | None = None,
    *,
    env: ServiceEnv,
) -> StarRating:
    """Publish the announced result once the notice period is over; an objected one needs an answer (reason)."""
    branch = await find_branch(session, branch_ref)
    await _require_admin(session, actor, branch)
    _closed_year(year, today)
    row = await _rating_row(session, branch.id, year)
    answer = (answer or "").strip() or None
    if row.status == StarStatus.OBJECTED:
        if answer is None:
            raise InvalidInput(N_("The branch objected: answer the objection (a reason) to publish as announced."))
        allowed: tuple[str, ...] = (StarStatus.OBJECTED,)
    else:
        if row.status == StarStatus.ANNOUNCED and row.notice_ends_on is not None and today <= row.notice_ends_on:
            raise Conflict(N_("The notice period runs until %(day)s."), day=row.notice_ends_on)
        allowed = (StarStatus.ANNOUNCED,)
    result = dict(row.result or {"stars": None})
    await _decide(
        session,
        branch,
        row,
        allowed,
        N_("Only an announced result can be published."),
        label=_label(actor),
        action="stars.published",
        details={"answer": answer, **result},
        env=env,
        tell=Tell("branch", "published", None, {"stars_count": int(result.get("stars") or 0)}),
        status=StarStatus.PUBLISHED,
        published_at=now_utc(),
        answer=answer,
    )
    return row


# --- telling people ---------------------------------------------------------------------------------------------


async def _leaders(session: AsyncSession, branch: Organisation) -> list[Member]:
    return await leaders_of(session, branch.id)


async def _admins_above(session: AsyncSession, branch: Organisation) -> list[Member]:
    if branch.parent_id is None:
        return []
    return await admins_above(session, branch.parent_id)


async def _send(
    session: AsyncSession,
    env: ServiceEnv,
    people: list[Member],
    row: StarRating,
    step: str,
    branch: Organisation,
    stars: BranchStars | None,
    **params: object,
) -> None:
    """One notice per person in their language, keyed by the rating's revision (a repeat adds nothing)."""
    message = Message(
        template="points/star_step.html.j2",
        params={"step": step, "branch": branch.name, "year": row.year, "stars": stars, **params},
    )
    await Notifier(session, env).tell(people, message, key=f"stars:{row.id}:{row.revision}:{step}", kind="stars")
