"""One ``--json`` rule for every command (issue 12, README "Command line"): a command that lists things prints
JSON Lines — one object per line, nothing at all for an empty list, exit 0 — and a command about one thing prints
one document. The shape never depends on how many things were found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer._click import Context  # Typer's own click, as bot/cli uses
from typer.main import get_command
from typer.testing import CliRunner

from bot.cli import app
from bot.demo import seed_demo
from tests.cli_support import seeded_cli_database

# Every command with --json, by shape. A new command must be put in one of them (and follow it).
LISTS = {
    "ask",
    "birthdays",
    "audit",
    "org list",
    "meeting kinds",
    "meeting compliance",
    "material list",
    "firstagenda report",
    "community list",
    "service report",
    "points report",
    "stars report",
}
DOCUMENTS = {
    "meeting add",
    "meeting show",
    "material add",
    "material dispatch",
    "material show",
    "activity add",
    "activity show",
    "ledger export",
    "rules show",
    "points show",
}


def _commands_with_json() -> set[str]:
    found: set[str] = set()

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        elif any(param.name == "as_json" for param in command.params):
            found.add(" ".join(path))

    root = get_command(app)
    root.list_commands(Context(root))  # the feature commands are loaded when listed (bot/cli/__init__.py)
    walk(root, [])
    return found


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The demo organisation in a fresh database, the CLI pointed at it, on 26 November 2026."""
    with seeded_cli_database(tmp_path, monkeypatch, seed_demo, datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)):
        yield CliRunner()


def _lines(cli: CliRunner, *args: str, stdin: str | None = None) -> list[dict[str, Any]]:
    """A listing's output: exit 0 and every line one JSON object (no line at all for none)."""
    result = cli.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(isinstance(row, dict) for row in rows), result.stdout
    return rows


def _document(cli: CliRunner, *args: str) -> dict[str, Any]:
    """A single thing's output: exactly one JSON object."""
    result = cli.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    document = json.loads(line)
    assert isinstance(document, dict)
    return document


def test_every_json_command_has_a_declared_shape() -> None:
    assert _commands_with_json() == LISTS | DOCUMENTS
    assert not LISTS & DOCUMENTS


def test_birthdays_is_json_lines_for_none_one_and_two(cli: CliRunner) -> None:
    assert _lines(cli, "birthdays", "--date", "2026-11-25") == []
    assert [row["name"] for row in _lines(cli, "birthdays", "--date", "2026-12-01")] == ["陈静"]
    assert sorted(row["name"] for row in _lines(cli, "birthdays", "--date", "2026-11-26")) == ["吴强", "张伟"]


def test_compliance_is_json_lines_for_one_branch_and_all(cli: CliRunner) -> None:
    assert [row["branch"] for row in _lines(cli, "meeting", "compliance", "--branch", "DEMO-B1")] == ["第一党支部"]
    assert [row["branch"] for row in _lines(cli, "meeting", "compliance")] == ["第一党支部", "第二党支部"]


def test_other_listings_are_json_lines(cli: CliRunner) -> None:
    assert _lines(cli, "audit", "--from", "2000-01-01", "--to", "2000-01-31") == []
    assert len(_lines(cli, "meeting", "kinds")) > 2
    assert len(_lines(cli, "org", "list")) > 2
    assert _lines(cli, "community", "list") == []  # the demo has no communities
    assert len(_lines(cli, "points", "report")) > 2
    assert len(_lines(cli, "stars", "report", "--year", "2026")) == 2
    assert len(_lines(cli, "service", "report")) > 2
    assert len(_lines(cli, "ask", "党费可以用来干什么")) == 1
    assert len(_lines(cli, "ask", stdin="党费可以用来干什么\n政治生日\n")) == 2
    assert isinstance(_lines(cli, "material", "list"), list)
    assert isinstance(_lines(cli, "firstagenda", "report"), list)


def test_a_single_thing_is_one_document(cli: CliRunner) -> None:
    assert _document(cli, "rules", "show")
    assert _document(cli, "points", "show", "A03")["name"] == "张伟"
