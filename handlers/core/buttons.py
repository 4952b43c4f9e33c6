"""Core's buttons, declared once (bot/callbacks.py packs and parses them)."""

from __future__ import annotations

from typing import Literal

from bot.callbacks import CallbackData


class LanguageButton(CallbackData, prefix="lang"):
    """/lang: the language chosen (``lang:zh_CN``, ``lang:en``)."""

    locale: Literal["zh_CN", "en"]


class HelpButton(CallbackData, prefix="help"):
    """/help: open one group of commands (``help:meetings``), or the short menu again (``help:top``)."""

    group: Literal["top", "meetings", "study", "service", "records", "branch", "basics"]
