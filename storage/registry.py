"""Import every model module so that ``Base.metadata`` knows all tables (Alembic and tests use this)."""

from storage import (  # noqa: F401
    birthdays,
    first_agenda,
    flows,
    ledger,
    meetings,
    membership,
    models,
    points,
    updates,
    volunteer,
)
from storage.base import Base

metadata = Base.metadata
