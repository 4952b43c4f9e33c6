"""Import every model module so that ``Base.metadata`` knows all tables (Alembic and tests use this)."""

from storage import birthdays, first_agenda, meetings, membership, models, volunteer  # noqa: F401
from storage import points  # noqa: F401  # points feature (issue 14): member points and star ratings
from storage.base import Base

metadata = Base.metadata
