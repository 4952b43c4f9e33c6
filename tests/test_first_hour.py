"""Issue 11, "a newcomer's first hour": the demo's own database, run refusing demo data, one line (and a retry)
when Telegram cannot be reached, and settings errors in DEFAULT_LOCALE's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app, startup
from bot.config import Settings

TOKEN = "123456:TEST-token_for_the_fake_bot_api"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_the_demo_keeps_its_own_database_and_run_refuses_one_with_demo_data(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli.invoke(app, ["demo"], input=":quit\n")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "demo.sqlite3").exists()
    assert not (tmp_path / "data" / "branchbot.sqlite3").exists()  # the real default stays untouched
    # Someone points the real bot at the demo's file: one line, nothing runs, Telegram is not even asked.
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'demo.sqlite3'}")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setattr(startup, "wait_for_telegram", lambda *a, **k: pytest.fail("asked Telegram"))
    result = cli.invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "该数据库中有演示组织（其党员均为虚构），因此不会在其上运行正式机器人。"
        "请将 DATABASE_URL 指向您自己的数据库，再导入组织和名册。"
    )


def test_run_without_a_route_to_telegram_says_so_in_one_line_and_backs_off(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'real.sqlite3'}")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # the discard port: refused at once
    pauses: list[float] = []

    def fake_sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            raise KeyboardInterrupt  # the operator gives up

    monkeypatch.setattr(startup, "sleep", fake_sleep)
    result = cli.invoke(app, ["run"])
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert len(lines) == 4, lines
    assert lines[0].startswith("无法连接 Telegram（http://127.0.0.1:9/bot）：") and lines[0].endswith("1秒后重试……")
    assert lines[3].endswith("8秒后重试……")
    assert pauses == [1.0, 2.0, 4.0, 8.0]


def test_a_token_telegram_refuses_stops_at_once(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_bot_api import FakeBotApi

    class Refusing(FakeBotApi):
        def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}

    api = Refusing().start()
    try:
        monkeypatch.setenv("BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_BASE_URL", api.base_url)
        result = cli.invoke(app, ["run"])
    finally:
        api.stop()
    assert result.exit_code == 2
    assert result.output.strip() == "Telegram 拒绝了 BOT_TOKEN：请在 @BotFather 中用 /mybots 核对令牌。"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (None, "配置错误：TIMEZONE：未知时区'Nowhere/Land'（可以试试Asia/Shanghai）"),
        ("en", "Configuration error: TIMEZONE: unknown time zone 'Nowhere/Land' (try Asia/Shanghai)"),
    ],
)
def test_settings_errors_follow_default_locale(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, locale: str | None, expected: str
) -> None:
    monkeypatch.setenv("TIMEZONE", "Nowhere/Land")
    if locale:
        Path(".env").write_text(f"DEFAULT_LOCALE={locale}\n", encoding="utf-8")
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert result.output.strip() == expected


def test_a_wrong_number_is_explained_in_chinese(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_PORT", "99999")
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.output.strip() == "配置错误：WEBHOOK_PORT：不能大于65535"
