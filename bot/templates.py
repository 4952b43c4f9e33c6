"""Jinja2 rendering through gettext: one environment per locale, autoescaped for Telegram's HTML mode."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot import date_style
from bot.i18n import translator
from bot.screens import PrivateText, private_reason

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@cache
def environment(locale: str) -> Environment:
    """The template environment of ``locale``, with ``_``/``ngettext`` and locale-aware filters."""
    tr = translator(locale)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # the files do not change while the bot runs: no stat() of the template per message
    )
    # newstyle: Jinja fills %(name)s itself and escapes the values, so msgids may carry <b> markup.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        tr.catalog.gettext, tr.catalog.ngettext, newstyle=True
    )
    babel_locale = tr.babel_locale
    env.filters["date"] = lambda value, fmt="long": format_local_date(value, babel_locale, fmt)
    env.filters["datetime"] = lambda value, fmt="short": format_datetime(value, fmt, locale=babel_locale)
    env.filters["number"] = lambda value, fmt=None: format_decimal(value, fmt, locale=babel_locale)
    date_style.install_filters(env.filters, tr.locale)
    env.globals["locale"] = tr.locale
    return env


def format_local_date(value: date | datetime | None, locale: Any, fmt: str = "long") -> str:
    """A date in the user's locale: 2021年11月23日 in Chinese, November 23, 2021 in English."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, fmt, locale=locale)


def render(name: str, locale: str, **context: Any) -> str:
    """Render template ``name`` (e.g. ``"core/help.html.j2"``) in ``locale``; whitespace is trimmed.

    A template whose first line is ``{# private: <why> #}`` renders as :class:`bot.screens.PrivateText`,
    which the send boundary keeps out of group chats.
    """
    text = environment(locale).get_template(name).render(**context).strip()
    why = template_privacy(name)
    return PrivateText(text, why) if why is not None else text


@cache
def template_privacy(name: str) -> str | None:
    """The ``why`` of template ``name``'s ``{# private: why #}`` first line, or None for a public screen."""
    env = environment("en")  # the loader, not the locale, matters: any environment reads the same files
    assert env.loader is not None
    source, _filename, _uptodate = env.loader.get_source(env, name)
    return private_reason(source)
