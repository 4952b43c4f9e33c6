"""The walk's database: SQLite, migrated, every id sequence starting at 70001, then the demo and its showcase.

Ids starting high make one shown to a person recognisable on a screen (``#70003``, ``第 70003 号``): the walk's
id check looks for them. SQLite gives an ``INTEGER PRIMARY KEY`` the largest id plus one, so deleting a
placeholder row would give the ids back; with ``AUTOINCREMENT`` it keeps a counter in ``sqlite_sequence`` that
can be set. The migrated tables are all empty, so each one with an ``id`` key is created again with
``AUTOINCREMENT`` (its indexes with it) and its counter set to 70000. The models do not notice: the column is
still the row id. PostgreSQL is not walked (the walk is about what people see, not the backend).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

FIRST_ID = 70001
_PRIMARY_KEY = re.compile(r"PRIMARY KEY \(id\)")


def start_ids_high(path: Path, first_id: int = FIRST_ID) -> list[str]:
    """Make every empty table keyed by ``id`` hand out ids from ``first_id``; returns the tables changed."""
    connection = sqlite3.connect(path)
    changed: list[str] = []
    try:
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute("PRAGMA legacy_alter_table = ON")
        tables = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for name, sql in tables:
            if not _PRIMARY_KEY.search(sql or ""):
                continue
            (rows,) = connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            if rows:
                raise RuntimeError(f"{name} is not empty: its ids cannot be moved")
            extras = [
                s
                for (s,) in connection.execute(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
                    (name,),
                )
            ]
            connection.execute(f'DROP TABLE "{name}"')
            connection.execute(_PRIMARY_KEY.sub("PRIMARY KEY (id AUTOINCREMENT)", sql))
            for extra in extras:
                connection.execute(extra)
            changed.append(name)
        for name in changed:
            connection.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, first_id - 1))
        connection.commit()
        problems = connection.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the id move: {problems[:3]}")
    finally:
        connection.close()
    return changed
