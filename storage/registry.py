"""Import every model module so that ``Base.metadata`` knows all tables (Alembic and tests use this)."""

from storage import birthdays, first_agenda, ledger, meetings, membership, models, points, volunteer  # noqa: F401
from storage.base import Base

metadata = Base.metadata
