"""Operations: ``branchbot backup FILE`` and ``branchbot restore FILE``.

SQLite is copied with its online backup API, so a running bot may keep writing while the copy is taken (the copy
is one consistent snapshot). PostgreSQL is backed up with its own tools (``pg_dump``/``pg_restore``, see
deploy/README.md): they are faster, stream, and keep roles and permissions that a copy through the ORM would not.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import settings_or_exit, tr_cli

# A file is one of our databases when it has Alembic's version table with at least one of our revisions.
_REVISIONS_QUERY = "SELECT version_num FROM alembic_version"


def _sqlite_or_exit() -> Path:
    settings = settings_or_exit()
    tr = tr_cli(settings)
    path = settings.sqlite_path()
    if path is None:
        typer.echo(
            tr.gettext(
                "This database is not SQLite: back it up with pg_dump and restore it with pg_restore "
                "(see deploy/README.md)."
            ),
            err=True,
        )
        raise typer.Exit(2)
    return path


def _revisions(path: Path) -> list[str] | None:
    """The Alembic revisions recorded in a SQLite file, or None when it is not a database of this bot."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            return [row[0] for row in connection.execute(_REVISIONS_QUERY)]
    except sqlite3.DatabaseError:
        return None


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` as one consistent snapshot, even while the bot writes to it."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    partial.replace(target)


def restore_sqlite(backup: Path, target: Path) -> None:
    """Put ``backup`` in place of ``target`` atomically; the old file's write-ahead log is dropped with it."""
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(backup)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    partial.replace(target)


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the command line."""

    @app.command("backup")
    def backup(file: Annotated[Path, typer.Argument(help="Where to write the copy")]) -> None:
        """Copy the SQLite database to FILE while the bot may keep running (PostgreSQL: pg_dump)."""
        source = _sqlite_or_exit()
        tr = tr_cli(settings_or_exit())
        if _revisions(source) is None:
            typer.echo(tr.gettext("There is no database at %(path)s to back up.", path=source), err=True)
            raise typer.Exit(1)
        try:
            backup_sqlite(source, file)
        except (OSError, sqlite3.Error) as exc:
            typer.echo(tr.gettext("Could not write %(path)s: %(reason)s", path=file, reason=exc), err=True)
            raise typer.Exit(1) from None
        typer.echo(tr.gettext("Backed up to %(path)s.", path=file))

    @app.command("restore")
    def restore(
        file: Annotated[Path, typer.Argument(help="A file written by branchbot backup")],
        yes: Annotated[bool, typer.Option("--yes", help="Replace the current database without asking")] = False,
    ) -> None:
        """Replace the SQLite database with a backup (stop the bot first)."""
        target = _sqlite_or_exit()
        tr = tr_cli(settings_or_exit())
        if not file.is_file() or not _revisions(file):
            typer.echo(tr.gettext("%(path)s is not a backup of this bot's database.", path=file), err=True)
            raise typer.Exit(1)
        if (
            target.exists()
            and not yes
            and not typer.confirm(tr.gettext("Replace %(path)s? Stop the bot first.", path=target))
        ):
            raise typer.Exit(1)
        target.parent.mkdir(parents=True, exist_ok=True)
        restore_sqlite(file, target)
        typer.echo(tr.gettext("Restored %(path)s from %(backup)s.", path=target, backup=file))
