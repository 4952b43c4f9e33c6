"""Branch star ratings (评星定级, measure 13): each criterion's score from the records or the committee, the total
and its stars by the bands of the rules in force.

Computed criteria are counted for every branch at once (a few grouped statements); manual criteria take the
branch's self-assessment unless an administrator adjusted them. A published rating is shown as published.
The steps (self-assessment, review, notice, objection, publication) live in :mod:`bot.services.points.star_steps`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.kinds_of_meeting import HeldBy, Period
from bot.services.meetings import BRANCH_KINDS
from bot.services.points.member_points import attribute
from bot.services.points.rules import Criterion, Rules, Tenths, tenths_json
from bot.services.points.versions import RulesInForce, rules_for
from storage import points as store
from storage.models import Organisation
from storage.points import StarRating, StarStatus


@dataclass
class CriterionScore:
    """One criterion's score for one branch, and what it was computed from."""

    key: str
    name_zh: str
    name_en: str
    source: str
    score: Tenths
    max: Tenths
    detail: dict[str, Any] = field(default_factory=dict)  # the counts behind a computed score
    self_score: Tenths | None = None  # manual: the branch's own
    note: str | None = None
    photos: list[str] = field(default_factory=list)
    adjusted: str | None = None  # the administrators' reason, when they changed the score

    def name(self, locale: str) -> str:
        """The criterion's name in ``locale``."""
        return self.name_zh if locale == "zh_CN" else self.name_en

    def as_json(self) -> dict[str, Any]:
        """``{"key", "score", "max", "source"}``."""
        return {"key": self.key, "score": tenths_json(self.score), "max": tenths_json(self.max), "source": self.source}


@dataclass
class BranchStars:
    """A branch's rating for a year."""

    branch_id: int
    branch: str
    year: int
    criteria: list[CriterionScore]
    stars: int
    status: str
    example: bool
    notice_ends_on: date | None = None
    objection: str | None = None
    answer: str | None = None

    @property
    def score(self) -> Tenths:
        """The sum of the criteria's scores."""
        return sum(c.score for c in self.criteria)

    def as_json(self) -> dict[str, Any]:
        """The report's object: ``{"branch", "branch_id", "score", "stars", "criteria", "status"}``."""
        return {
            "branch": self.branch,
            "branch_id": self.branch_id,
            "score": tenths_json(self.score),
            "stars": self.stars,
            "criteria": [c.as_json() for c in self.criteria],
            "status": self.status,
        }


def share(weight: Tenths, part: int, whole: int) -> Tenths:
    """``weight × part / whole`` in tenths, rounded half up."""
    if whole <= 0:
        return 0
    return min(weight, (2 * weight * part + whole) // (2 * whole))


def _periods_counted(year: int, today: date) -> tuple[int, int, int]:
    """Months, quarters, years of ``year`` that have begun by ``today`` (all of them once the year is over)."""
    if today.year > year:
        return 12, 4, 1
    if today.year < year:
        return 0, 0, 0
    return today.month, (today.month - 1) // 3 + 1, 1


async def _meetings_held(
    session: AsyncSession, branch_ids: Sequence[int], year: int, today: date, tz: ZoneInfo
) -> dict[int, tuple[int, int]]:
    """Per branch: (held, required) of the year's required meetings, each period counting at most what it needs."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = await store.closed_meetings_by_month(session, branch_ids, start, end, tz)
    groups_of = await store.party_groups_of(session, branch_ids)
    held_in: dict[tuple[int, str, int | None, str, int], int] = {}  # by group
    held_any: dict[tuple[int, str, str, int], int] = {}  # whoever held it
    for branch_id, kind_id, group_id, day in rows:
        for period, index in ((Period.MONTH, day.month), (Period.QUARTER, (day.month - 1) // 3 + 1), (Period.YEAR, 1)):
            key = (branch_id, kind_id, group_id, period.value, index)
            held_in[key] = held_in.get(key, 0) + 1
            whole = (branch_id, kind_id, period.value, index)
            held_any[whole] = held_any.get(whole, 0) + 1
    months, quarters, years = _periods_counted(year, today)
    counted = {Period.MONTH: months, Period.QUARTER: quarters, Period.YEAR: years}
    result: dict[int, tuple[int, int]] = {}
    for branch_id in branch_ids:
        held = required = 0
        for kind in BRANCH_KINDS:
            if kind.period is Period.NONE or not kind.times_per_period:
                continue
            targets: list[int | None] = list(groups_of.get(branch_id, [])) if kind.held_by is HeldBy.GROUP else [None]
            for index in range(1, counted[kind.period] + 1):
                for group in targets:
                    required += kind.times_per_period
                    if kind.held_by is HeldBy.GROUP:
                        got = held_in.get((branch_id, kind.id, group, kind.period.value, index), 0)
                    else:
                        got = held_any.get((branch_id, kind.id, kind.period.value, index), 0)
                    held += min(kind.times_per_period, got)
        result[branch_id] = (held, required)
    return result


async def computed_criteria(
    session: AsyncSession, branch_ids: Sequence[int], rules: Rules, year: int, today: date, tz: ZoneInfo
) -> dict[int, dict[str, tuple[Tenths, dict[str, Any]]]]:
    """Per branch: {criterion key: (score, detail)} of every criterion computed from the records."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    sources = {c.source for c in rules.criteria}
    held = await _meetings_held(session, branch_ids, year, today, tz) if "meetings_held" in sources else {}
    rates = await store.attendance_rates(session, branch_ids, start, end, tz) if "attendance_rate" in sources else {}
    studies = (
        await store.dispatch_studies(session, branch_ids, start, end, tz)
        if sources & {"first_agenda_rate", "first_agenda_lag"}
        else []
    )
    members: dict[int, int] = {}
    serving: dict[int, int] = {}
    if "volunteer_share" in sources:
        spans = await store.span_list(session, branch_ids, start, end)
        service = await store.service_events(session, branch_ids, start, end, tz)
        counts = attribute(spans, start, end, [], service, [], [])
        for (_member, branch_id), found in counts.items():
            members[branch_id] = members.get(branch_id, 0) + 1
            if found.service_minutes > 0:
                serving[branch_id] = serving.get(branch_id, 0) + 1
    result: dict[int, dict[str, tuple[Tenths, dict[str, Any]]]] = {}
    for branch_id in branch_ids:
        scores: dict[str, tuple[Tenths, dict[str, Any]]] = {}
        dispatched = [(d, s) for b, d, s in studies if b == branch_id]
        for criterion in rules.criteria:
            scores[criterion.key] = _score(
                criterion,
                held.get(branch_id, (0, 0)),
                rates.get(branch_id, (0, 0)),
                dispatched,
                (serving.get(branch_id, 0), members.get(branch_id, 0)),
                tz,
            )
        result[branch_id] = scores
    return result


def _score(
    criterion: Criterion,
    held: tuple[int, int],
    rate: tuple[int, int],
    dispatched: list[Any],
    service: tuple[int, int],
    tz: ZoneInfo,
) -> tuple[Tenths, dict[str, Any]]:
    weight = criterion.weight
    if criterion.source == "meetings_held":
        # Nothing required yet (a year not begun): nothing missed.
        return (share(weight, *held) if held[1] else weight), {"held": held[0], "required": held[1]}
    if criterion.source == "attendance_rate":
        return share(weight, *rate), {"attended": rate[0], "expected": rate[1]}
    if criterion.source == "first_agenda_rate":
        studied = sum(1 for _d, s in dispatched if s is not None)
        # Nothing dispatched: nothing left unstudied.
        return (share(weight, studied, len(dispatched)) if dispatched else weight), {
            "studied": studied,
            "dispatched": len(dispatched),
        }
    if criterion.source == "first_agenda_lag":
        lags = [max(0, (s.astimezone(tz).date() - d.astimezone(tz).date()).days) for d, s in dispatched if s]
        if not dispatched:
            return weight, {"median_days": None, "studied": 0}
        if not lags:
            return 0, {"median_days": None, "studied": 0}
        median = statistics.median(lags)
        if median <= criterion.good_days:
            score = weight
        elif median >= criterion.poor_days:
            score = 0
        else:
            span = criterion.poor_days - criterion.good_days
            score = int((weight * (criterion.poor_days - median) * 2 + span) // (2 * span))
        return score, {"median_days": median, "studied": len(lags)}
    if criterion.source == "volunteer_share":
        return share(weight, *service), {"with_service": service[0], "members": service[1]}
    return 0, {}


def _manual(criterion: Criterion, rating: StarRating | None) -> CriterionScore:
    own = (rating.self_scores or {}).get(criterion.key) if rating else None
    change = (rating.adjustments or {}).get(criterion.key) if rating else None
    score = int(change["score"]) if change else int(own["score"]) if own else 0
    return CriterionScore(
        criterion.key,
        criterion.name_zh,
        criterion.name_en,
        criterion.source,
        min(score, criterion.weight),
        criterion.weight,
        {},
        int(own["score"]) if own else None,
        own.get("note") if own else None,
        list(own.get("photos", [])) if own else [],
        change.get("reason") if change else None,
    )


def rating_of(
    rif: RulesInForce,
    branch: Organisation,
    year: int,
    computed: dict[str, tuple[Tenths, dict[str, Any]]],
    rating: StarRating | None,
) -> BranchStars:
    """The live rating of one branch."""
    criteria: list[CriterionScore] = []
    for criterion in rif.rules.criteria:
        if criterion.source == "manual":
            criteria.append(_manual(criterion, rating))
            continue
        score, detail = computed.get(criterion.key, (0, {}))
        change = (rating.adjustments or {}).get(criterion.key) if rating else None
        criteria.append(
            CriterionScore(
                criterion.key,
                criterion.name_zh,
                criterion.name_en,
                criterion.source,
                int(change["score"]) if change else score,
                criterion.weight,
                detail,
                adjusted=change.get("reason") if change else None,
            )
        )
    scores = {c.key: c.score for c in criteria}
    total = sum(scores.values())
    return BranchStars(
        branch.id,
        branch.name,
        year,
        criteria,
        rif.rules.stars_for(total, scores),
        rating.status if rating else StarStatus.DRAFT,
        rif.example,
        rating.notice_ends_on if rating else None,
        rating.objection if rating else None,
        rating.answer if rating else None,
    )


def snapshot(stars: BranchStars) -> dict[str, Any]:
    """What announcing or publishing keeps of a rating."""
    return {
        "stars": stars.stars,
        "criteria": [
            {
                "key": c.key,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "source": c.source,
                "score": c.score,
                "max": c.max,
                "detail": c.detail,
                "note": c.note,
                "adjusted": c.adjusted,
            }
            for c in stars.criteria
        ],
    }


def from_snapshot(branch: Organisation, rating: StarRating) -> BranchStars:
    """A published rating, as published."""
    data = rating.result or {"stars": 0, "criteria": []}
    criteria = [
        CriterionScore(
            c["key"],
            c["name_zh"],
            c["name_en"],
            c["source"],
            int(c["score"]),
            int(c["max"]),
            c.get("detail") or {},
            note=c.get("note"),
            adjusted=c.get("adjusted"),
        )
        for c in data["criteria"]
    ]
    return BranchStars(
        branch.id,
        branch.name,
        rating.year,
        criteria,
        int(data["stars"]),
        rating.status,
        False,
        rating.notice_ends_on,
        rating.objection,
        rating.answer,
    )


async def ratings(
    session: AsyncSession, branches: Sequence[Organisation], year: int, today: date, tz: ZoneInfo
) -> list[BranchStars]:
    """Every branch's rating for the year: published ones as published, the others live."""
    ids = [b.id for b in branches]
    if not ids:
        return []
    stored = await store.ratings_of(session, ids, year)
    in_force = await rules_for(session, ids)
    by_rules: dict[int | None, list[int]] = {}
    for branch_id in ids:
        if not (branch_id in stored and stored[branch_id].status == StarStatus.PUBLISHED):
            by_rules.setdefault(in_force[branch_id].rules_id, []).append(branch_id)
    computed: dict[int, dict[str, tuple[Tenths, dict[str, Any]]]] = {}
    for group in by_rules.values():
        computed.update(await computed_criteria(session, group, in_force[group[0]].rules, year, today, tz))
    result = []
    for branch in branches:
        rating = stored.get(branch.id)
        if rating is not None and rating.status == StarStatus.PUBLISHED:
            result.append(from_snapshot(branch, rating))
        else:
            result.append(rating_of(in_force[branch.id], branch, year, computed.get(branch.id, {}), rating))
    return result
