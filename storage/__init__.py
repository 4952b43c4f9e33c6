"""Models, query functions (they take a session and never commit) and Alembic migrations."""
