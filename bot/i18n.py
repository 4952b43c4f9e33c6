"""Translations: one merged gettext catalog per locale, from every ``locales/<locale>/LC_MESSAGES/*.mo``.

Each feature keeps its own catalog file (``core.po``, ``measures.po``, ``meetings.po`` …) so that features can
grow without stepping on each other; at load time they are merged into one catalog per locale.

Message ids are English; ``zh_CN`` is the default locale and must translate every message.
Formatting uses named ``%(name)s`` placeholders, never f-strings, so translators can reorder them.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (tables, error ids)."""
    return message


def normalize_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a Telegram ``language_code`` ("zh-hans", "en-US", …) or a user choice to a supported locale."""
    if not code:
        return default
    code = code.replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return default


@cache
def catalog(locale: str) -> _gettext.NullTranslations:
    """The merged catalog of ``locale`` (cached for the life of the process)."""
    directory = LOCALES_DIR / locale / "LC_MESSAGES"
    merged: Translations | None = None
    for mo_file in sorted(directory.glob("*.mo")):
        with mo_file.open("rb") as fp:
            translations = Translations(fp, domain=mo_file.stem)
        if merged is None:
            merged = translations
        else:
            merged.merge(translations)
    return merged if merged is not None else _gettext.NullTranslations()


class Translator:
    """Gettext for one locale, with named-placeholder formatting built in."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = normalize_locale(locale)
        self.catalog = catalog(self.locale)

    def gettext(self, message: str, **params: Any) -> str:
        """Translate ``message`` and fill its ``%(name)s`` placeholders from ``params``."""
        text = self.catalog.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Plural-aware translation; ``n`` is also available to the message as ``%(num)d``."""
        text = self.catalog.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    @cached_property
    def babel_locale(self) -> Locale:
        """The Babel locale, for dates and numbers (parsed once: every date shown asked for it)."""
        return Locale.parse(self.locale)


@cache
def translator(locale: str | None = None) -> Translator:
    """A shared :class:`Translator` per locale."""
    return Translator(locale)
