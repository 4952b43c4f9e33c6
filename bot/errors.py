"""Domain errors: a refusal carries a translatable message id and its parameters, never a built string."""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any

from bot.i18n import Translator


class DomainError(Exception):
    """A rule refused an action; nothing was written. ``msgid`` is marked with ``N_`` where it is raised."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params

    def localized(self, tr: Translator, *, escape: bool = True) -> str:
        """The message in the user's language; values are HTML-escaped for chat unless ``escape`` is off.

        A date or a (timezone-aware) datetime among the values is written in the one date style of the reader's
        language (bot.date_style), so services raise with the value, not with a formatted string.
        """
        from bot import date_style  # bot.date_style reads bot.dates, which raises these errors

        def shown(value: Any) -> Any:
            if isinstance(value, datetime):
                return date_style.moment(value, tr.locale)
            if isinstance(value, date):
                return date_style.day(value, tr.locale)
            return html.escape(value) if escape and isinstance(value, str) else value

        return tr.gettext(self.msgid, **{key: shown(value) for key, value in self.params.items()})


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this person)."""


class PermissionDenied(DomainError):
    """This person's role does not allow the action."""


class InvalidInput(DomainError):
    """The input is malformed or out of range."""


class Conflict(DomainError):
    """The action would duplicate or contradict what is stored (already checked in, already bound …)."""
