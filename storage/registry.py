"""Import every model module so that ``Base.metadata`` knows all tables (Alembic and tests use this)."""

from storage import birthdays, first_agenda, meetings, models, volunteer  # noqa: F401
from storage import points  # noqa: F401 - member points and star ratings (issue 14)
from storage.base import Base

metadata = Base.metadata
