"""What every volunteer service module shares: its limits, the check-in link's prefix, whose language a notice uses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import Actor
from storage.models import Member

CHECKIN_PREFIX = "vk_"


TOKEN_KIND = "v"


CHECKIN_OPENS_BEFORE = timedelta(minutes=30)  # check-in opens this long before the start


CHECKOUT_GRACE = timedelta(hours=1)  # after the end, a check-out is still accepted (hours are clipped)


MAX_ACTIVITY_LENGTH = timedelta(days=7)


MAX_SLOTS = 1000


SEARCH_LIMIT = 8


COMMUNITY_COLUMNS_REQUIRED = {"name", "town"}


COMMUNITY_COLUMNS_OPTIONAL = {"latitude", "longitude", "contact"}


async def _member(session: AsyncSession, actor: Actor | None) -> Member | None:
    return await session.get(Member, actor.member_id) if actor is not None else None
