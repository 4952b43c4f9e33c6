"""Settings from environment variables and an optional ``.env`` file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import SUPPORTED_LOCALES

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/branchbot.sqlite3"
_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """A setting is wrong or missing; the message is one line naming it and why."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment. Field names are the variable names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    BOT_TOKEN: str | None = Field(default=None, description="Token from @BotFather; none = offline only")
    DATABASE_URL: str = Field(default=DEFAULT_DATABASE_URL)
    TELEGRAM_BASE_URL: str = Field(default="https://api.telegram.org/bot")
    TELEGRAM_BASE_FILE_URL: str = Field(default="https://api.telegram.org/file/bot")
    TIMEZONE: str = Field(default="Asia/Shanghai")
    DEFAULT_LOCALE: str = Field(default="zh_CN")
    WEBHOOK_URL: str | None = None
    WEBHOOK_LISTEN: str = "0.0.0.0"
    WEBHOOK_PORT: int = Field(default=8443, ge=1, le=65535)
    WEBHOOK_SECRET: str | None = None
    INVITATION_TTL_DAYS: int = Field(default=14, ge=1, le=365)
    INVITATION_REQUIRE_PHONE: bool = False
    # Messages a second in all (replies and pushes, shared by every replica); Telegram allows 30.
    TELEGRAM_RATE_PER_SECOND: float = Field(default=30.0, gt=0, le=30)
    OUTBOX_POLL_SECONDS: float = Field(default=0.5, gt=0, le=60)  # how often an idle sender looks for new rows
    OUTBOX_LEASE_SECONDS: float = Field(default=30.0, ge=1, le=600)  # a dead sender's rows are taken over after
    BOT_USERNAME: str | None = Field(default=None, description="Used in deep links when offline")
    BIRTHDAY_HOUR: int = Field(default=9, ge=0, le=23, description="Local hour of political-birthday greetings")
    FIRST_AGENDA_NUDGE_DAYS: int = Field(default=14, ge=1, le=365)  # remind of a dispatched material unstudied
    # Volunteer service (measure 22): working hours on weekdays, for the share served outside them.
    WORK_HOURS: str = Field(default="09:00-18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    VOLUNTEER_PHOTO_MAX_MB: float = Field(default=10.0, gt=0, le=20)
    VOLUNTEER_RADIUS_M: int = Field(default=300, ge=20, le=20000)  # default location check-in radius
    VOLUNTEER_REMINDER_HOUR: int = Field(default=18, ge=0, le=23)  # local hour of the day-before reminder
    # Meetings: check-in opens this long before the start; late after this long past it; nudge days before a gap.
    CHECKIN_OPENS_MINUTES: int = Field(default=30, ge=0, le=24 * 60)
    CHECKIN_LATE_MINUTES: int = Field(default=5, ge=0, le=240)
    COMPLIANCE_NUDGE_DAYS: int = Field(default=7, ge=1, le=90)

    @field_validator("BOT_TOKEN")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is not None and value.strip() == "":
            return None
        if value is not None and not _TOKEN_PATTERN.match(value.strip()):
            raise ValueError("does not look like a token from @BotFather (digits, a colon, then letters)")
        return value.strip() if value else value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("TIMEZONE")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (try Asia/Shanghai)") from exc
        return value

    @field_validator("DEFAULT_LOCALE")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// address that Telegram can reach")
        return value or None

    @field_validator("WORK_HOURS")
    @classmethod
    def _work_hours(cls, value: str) -> str:
        start, end = value.split("-")
        if start >= end:
            raise ValueError("the working day must end after it starts, e.g. 09:00-18:00")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.WEBHOOK_SECRET and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.WEBHOOK_SECRET):
            raise ValueError("WEBHOOK_SECRET: only A-Z, a-z, 0-9, _ and - are allowed, at most 256")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.TIMEZONE)

    def sqlite_path(self) -> Path | None:
        """The SQLite file, if the database is SQLite."""
        prefix = "sqlite+aiosqlite:///"
        if self.DATABASE_URL.startswith(prefix):
            path = self.DATABASE_URL.removeprefix(prefix)
            return None if path in ("", ":memory:") else Path(path)
        return None


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a wrong value raises :class:`ConfigError` with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Configuration error: {name}: {message}") from None
