"""Settings from environment variables and an optional ``.env`` file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import DEFAULT_LOCALE, N_, SUPPORTED_LOCALES, translator

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/branchbot.sqlite3"
_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """A setting is wrong or missing; the message is one line naming it and why (``str()`` in English,
    :meth:`localized` in the configured ``DEFAULT_LOCALE``, as the command line prints it)."""

    def __init__(self, name: str, msgid: str, params: dict[str, object], locale: str) -> None:
        self.name, self.msgid, self.params, self.locale = name, msgid, params, locale
        super().__init__(f"Configuration error: {name}: {msgid % params if params else msgid}")

    def localized(self, locale: str | None = None) -> str:
        """The line in ``locale`` (default: the DEFAULT_LOCALE the settings asked for, when valid)."""
        tr = translator(locale or self.locale)
        reason = tr.gettext(self.msgid, **self.params) if self.params else tr.gettext(self.msgid)
        return tr.gettext("Configuration error: %(name)s: %(reason)s", name=self.name, reason=reason)


class SettingInvalid(ValueError):
    """A validator's refusal as a message id and its values, so that it can be said in the configured language."""

    def __init__(self, msgid: str, *, setting: str | None = None, **params: object) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid, self.params, self.setting = msgid, params, setting  # setting: for a model validator


# Pydantic's own refusals of the common kinds, by error type; others are printed as pydantic words them.
_PYDANTIC_MESSAGES = {
    "int_parsing": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "bool_parsing": N_("must be true or false"),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "greater_than": N_("must be more than %(gt)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "string_pattern_mismatch": N_("is not in the expected form (%(pattern)s)"),
}


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
    LEDGER_DIR: str = Field(default="data/ledgers")  # ledger feature: the monthly digests' files, kept until sent

    @field_validator("BOT_TOKEN")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is not None and value.strip() == "":
            return None
        if value is not None and not _TOKEN_PATTERN.match(value.strip()):
            raise SettingInvalid(N_("does not look like a token from @BotFather (digits, a colon, then letters)"))
        return value.strip() if value else value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise SettingInvalid(N_("must start with sqlite+aiosqlite:// or postgresql+asyncpg://"))
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("TIMEZONE")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingInvalid(N_("unknown time zone %(value)s (try Asia/Shanghai)"), value=repr(value)) from exc
        return value

    @field_validator("DEFAULT_LOCALE")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise SettingInvalid(N_("must be one of %(values)s"), values=", ".join(SUPPORTED_LOCALES))
        return value

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise SettingInvalid(N_("must be an https:// address that Telegram can reach"))
        return value or None

    @field_validator("WORK_HOURS")
    @classmethod
    def _work_hours(cls, value: str) -> str:
        start, end = value.split("-")
        if start >= end:
            raise SettingInvalid(N_("the working day must end after it starts, e.g. 09:00-18:00"))
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.WEBHOOK_SECRET and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.WEBHOOK_SECRET):
            raise SettingInvalid(N_("only A-Z, a-z, 0-9, _ and - are allowed, at most 256"), setting="WEBHOOK_SECRET")
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
        context = first.get("ctx") or {}
        error = context.get("error")
        if isinstance(error, SettingInvalid):
            msgid, params, name = error.msgid, error.params, error.setting or name
        elif first["type"] in _PYDANTIC_MESSAGES:
            msgid, params = _PYDANTIC_MESSAGES[first["type"]], {k: str(v) for k, v in context.items()}
        else:
            msgid, params = str(first["msg"]).removeprefix("Value error, "), {}
        raise ConfigError(name, msgid, params, _wanted_locale(overrides)) from None


def _wanted_locale(overrides: dict[str, object]) -> str:
    """The DEFAULT_LOCALE asked for (arguments, environment, .env), to word a settings error in; zh_CN otherwise."""
    import os

    wanted = overrides.get("DEFAULT_LOCALE") or os.environ.get("DEFAULT_LOCALE")
    if wanted is None and Path(".env").is_file():
        from dotenv import dotenv_values

        wanted = dotenv_values(".env").get("DEFAULT_LOCALE")
    return str(wanted) if wanted in SUPPORTED_LOCALES else DEFAULT_LOCALE
