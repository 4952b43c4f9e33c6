"""Operations: a backup taken while the database is in use restores to the same data; bad files are refused."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'live.sqlite3'}")
    return CliRunner()


def _names(cli: CliRunner) -> list[str]:
    result = cli.invoke(app, ["org", "list", "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line)["name"] for line in result.output.splitlines()]


def test_backup_and_restore_round_trip(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")]).exit_code == 0
    before = _names(cli)
    copy = tmp_path / "copy.sqlite3"
    # A reader holding the database open (as a running bot does) does not stop the online backup.
    with closing(sqlite3.connect(tmp_path / "live.sqlite3")) as busy:
        busy.execute("SELECT count(*) FROM organisations").fetchone()
        result = cli.invoke(app, ["backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    # The live database then changes; restoring the copy brings back exactly what was backed up.
    with closing(sqlite3.connect(tmp_path / "live.sqlite3")) as live:
        live.execute("DELETE FROM organisations WHERE parent_id IS NOT NULL AND code = 'MZJ-B2'")
        live.commit()
    assert _names(cli) != before
    result = cli.invoke(app, ["restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert _names(cli) == before


def test_restore_refuses_a_file_that_is_not_a_backup(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database", encoding="utf-8")
    result = cli.invoke(app, ["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "不是本机器人数据库的备份" in result.output
    assert _names(cli) == []  # the live database is untouched


def test_backup_of_postgresql_points_to_pg_dump(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@127.0.0.1:1/x")
    result = cli.invoke(app, ["backup", "x.dump"])
    assert result.exit_code == 2
    assert "pg_dump" in result.output


def test_compose_file_is_a_valid_two_replica_deployment() -> None:
    """The Compose file parses, and wires PostgreSQL, two bot replicas and a TLS proxy the way the README says."""
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"db", "bot1", "bot2", "proxy"} <= set(services)
    for name in ("bot1", "bot2"):
        bot = services[name]
        env = bot["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["WEBHOOK_URL"].startswith("https://")
        assert "db" in bot["depends_on"]
    assert services["db"]["image"].startswith("postgres:15")
    assert any(str(port).endswith(":443") for port in services["proxy"]["ports"])
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "bot1:8443" in caddyfile and "bot2:8443" in caddyfile
    unit = (ROOT / "deploy" / "branchbot.service").read_text(encoding="utf-8")
    assert "ExecStart=" in unit and "branchbot run" in unit and "Restart=" in unit
