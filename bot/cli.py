"""The ``branchbot`` command line."""

from __future__ import annotations

import typer

from bot.measures.cli import register as register_measures

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The branch assistant.")
register_measures(app)


def main() -> None:
    """Entry point of the ``branchbot`` console script."""
    app()
