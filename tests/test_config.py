"""Settings: defaults, and one clear line for each wrong value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_defaults() -> None:
    settings = load_settings()
    assert settings.BOT_TOKEN is None
    assert settings.DATABASE_URL == DEFAULT_DATABASE_URL
    assert settings.TIMEZONE == "Asia/Shanghai"
    assert settings.DEFAULT_LOCALE == "zh_CN"
    assert settings.WEBHOOK_URL is None
    assert settings.TELEGRAM_BASE_URL == "https://api.telegram.org/bot"


def test_reads_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("TIMEZONE=Asia/Hong_Kong\nDEFAULT_LOCALE=en\n", encoding="utf-8")
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc")
    settings = load_settings()
    assert settings.TIMEZONE == "Asia/Hong_Kong"
    assert settings.DEFAULT_LOCALE == "en"
    assert settings.BOT_TOKEN == "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Olympus", "Configuration error: TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("BOT_TOKEN", "not-a-token", "Configuration error: BOT_TOKEN: does not look like a token"),
        ("DATABASE_URL", "mysql://x", "Configuration error: DATABASE_URL: must start with"),
        ("DEFAULT_LOCALE", "fr", "Configuration error: DEFAULT_LOCALE: must be one of zh_CN, en"),
        ("WEBHOOK_URL", "http://insecure.example", "Configuration error: WEBHOOK_URL: must be an https://"),
        ("WEBHOOK_PORT", "99999", "Configuration error: WEBHOOK_PORT:"),
    ],
)
def test_wrong_value_gives_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_plain_postgresql_url_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1/db")
    assert load_settings().DATABASE_URL == "postgresql+asyncpg://u:p@127.0.0.1/db"


def test_every_setting_is_in_env_example_and_readme() -> None:
    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"{name}=" in example, f"{name} is missing from .env.example"
        assert f"`{name}`" in readme, f"{name} is missing from README's settings"
