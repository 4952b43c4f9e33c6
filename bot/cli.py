"""The ``branchbot`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The branch assistant.")


def main() -> None:
    """Entry point of the ``branchbot`` console script."""
    app()
