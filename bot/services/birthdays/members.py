"""A member's own political birthday (/mybirthday) and their choice to be greeted or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.birthdays.anniversaries import DateProblem, join_date_problem, political_birthday, years_in
from storage import birthdays as store
from storage import queries
from storage.models import Member


@dataclass(frozen=True)
class MyBirthday:
    """A member's own political birthday: the next one (today's, if it is today) and their greeting choice."""

    name: str
    join_date: date | None
    problem: DateProblem | None
    day: date | None
    years: int | None
    is_today: bool
    greetings_on: bool


async def my_birthday(session: AsyncSession, actor: Actor, today: date) -> MyBirthday:
    """The caller's political birthday."""
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    greetings_on = await store.greetings_on(session, member.id)
    problem = join_date_problem(member.join_date, today)
    if problem is not None or member.join_date is None:
        return MyBirthday(member.name, member.join_date, problem, None, None, False, greetings_on)
    year = today.year
    # The next anniversary that counts: not one already past this year, and never the join day itself.
    while political_birthday(member.join_date, year) < today or years_in(member.join_date, year) < 1:
        year += 1
    day = political_birthday(member.join_date, year)
    return MyBirthday(
        member.name, member.join_date, None, day, years_in(member.join_date, year), day == today, greetings_on
    )


async def set_greetings(session: AsyncSession, actor: Actor, enabled: bool) -> bool:
    """Turn the caller's own greeting on or off; returns the new setting."""
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    preference = await store.locked_preference(session, member.id)
    if preference.greetings_enabled == enabled:
        return enabled  # nothing changed, nothing to audit
    preference.greetings_enabled = enabled
    queries.audit(
        session,
        actor=member,
        action="birthday_greetings_on" if enabled else "birthday_greetings_off",
        entity="member",
        entity_id=member.id,
    )
    return enabled
