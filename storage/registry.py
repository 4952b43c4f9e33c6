"""Import every model module so that ``Base.metadata`` knows all tables (Alembic and tests use this)."""

import storage.volunteer  # noqa: F401 - volunteer service (measure 22)
from storage import meetings, models  # noqa: F401
from storage.base import Base

metadata = Base.metadata
