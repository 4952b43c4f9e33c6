"""The command line loads a feature's commands only when one of them runs (issue 16: `branchbot ask` in ≤ 1 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot import features
from bot.cli import _LAZY, app

ROOT = Path(__file__).resolve().parent.parent


def test_each_feature_declares_the_names_its_commands_add() -> None:
    for feature in features.FEATURES:
        if feature.cli is None:
            assert feature.cli_commands == (), feature.name
            continue
        commands = typer.Typer()
        feature.cli(commands)
        added = {c.name for c in commands.registered_commands} | {g.name for g in commands.registered_groups}
        assert added == set(feature.cli_commands), feature.name


def test_help_lists_every_command_once() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in [*_LAZY, "db", "org", "roster", "invite", "run", "console", "demo"]:
        assert f" {name} " in result.output, name


def test_a_mistyped_command_is_told_the_nearest_one() -> None:
    result = CliRunner().invoke(app, ["meetin"])
    assert result.exit_code != 0 and "meeting" in result.output


def test_ask_imports_neither_the_database_nor_telegram_nor_the_office_files(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "sys.argv = ['branchbot', 'ask', '--json', '党费能用来干什么']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'telegram', 'openpyxl', 'matplotlib', 'PIL', 'docx', 'pkg_resources')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRANCHBOT_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    answer, loaded = done.stdout.strip().splitlines()
    assert json.loads(answer)["answers"][0]["measure"] == 16
    assert loaded == "[]"
