"""Import every model module so that ``Base.metadata`` knows all tables (Alembic and tests use this)."""

from storage import birthdays, first_agenda, flows, meetings, models, volunteer  # noqa: F401
from storage.base import Base

metadata = Base.metadata
