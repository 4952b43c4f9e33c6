"""One notifier: tell these members, a branch's leaders, or the administrators above an organisation.

Each recipient gets the message in their own language (``member.language``, else the default locale), rendered
from a Jinja2 template or a gettext message, queued in the outbox in the caller's session (nothing is committed
here: the message goes out only if the change that caused it is committed). The dedup key is the caller's key
plus ``:<member id>``, so running the same job twice, or two replicas, queue each person's message once::

    notifier = Notifier(session, env)
    message = Message(
        template="meetings/nudge.html.j2",
        params=lambda r: {"branch": branch.name, "end": long_date(end, r.locale)},   # per language if needed
        buttons=lambda r: [[(r.gettext("Open"), MeetingButton(meeting=7, action=MeetingAction.CARD))]],
    )
    sent = await notifier.tell_leaders(branch.id, message, key=f"mt-nudge:{branch.id}:{period}", kind="reminder")
    sent.queued         # rows added now (0 when all were queued before)

Recipients are the members the bot can reach (bound to Telegram). ``tell_leaders(…, fallback_to_admins=True)``
tells the administrators above the branch when it has no leader on Telegram (``sent.via_admins``), as the
political-birthday notes do.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CallbackData
from bot.environment import ServiceEnv
from bot.i18n import Translator, normalize_locale, translator
from bot.services import outbox
from bot.templates import render
from storage.models import Member
from storage.people import admins_above, leaders_of

__all__ = [
    "Delivery",
    "Message",
    "Notifier",
    "Recipient",
    "admins_above",
    "leaders_else_admins",
    "leaders_of",
    "locale_of",
]

log = logging.getLogger(__name__)


class HasLanguage(Protocol):
    """Anything with a preferred language (a member, a row of a query)."""

    @property
    def language(self) -> str | None: ...


def locale_of(person: HasLanguage | None, env: ServiceEnv | str) -> str:
    """The locale to write to ``person`` in: their own choice, else the default (``env`` or a locale code)."""
    default = env if isinstance(env, str) else env.default_locale
    return normalize_locale(person.language if person is not None else None, default)


@dataclass(frozen=True)
class Recipient:
    """One person being told, with their locale (what per-recipient params and buttons are computed from)."""

    member: Member
    locale: str

    @property
    def tr(self) -> Translator:
        """Gettext in the recipient's locale."""
        return translator(self.locale)

    def gettext(self, message: str, **params: Any) -> str:
        """``message`` translated into the recipient's locale."""
        return self.tr.gettext(message, **params)


ButtonRows = Sequence[Sequence[tuple[str, "str | CallbackData"]]]
Params = Mapping[str, Any] | Callable[[Recipient], Mapping[str, Any]]


@dataclass(frozen=True)
class Message:
    """What to say: a template (``template``), a gettext message id (``msgid``) or a function writing the
    recipient's text (``write``, Telegram HTML), its values, and buttons; optionally a file to send with it.

    ``params`` is a mapping, or a function of the :class:`Recipient` when a value depends on the language (a
    date written for the locale). Text values of a gettext message are HTML-escaped; templates escape
    themselves. ``buttons`` gives rows of ``(label, callback data)`` for a recipient. With ``photo`` or
    ``document`` (a path the outbox worker uploads) the text is the caption, and a document may go without one.
    """

    template: str | None = None
    msgid: str | None = None
    params: Params = field(default_factory=dict)
    buttons: Callable[[Recipient], ButtonRows] | None = None
    write: Callable[[Recipient], str] | None = None
    photo: str | None = None
    document: str | None = None

    def __post_init__(self) -> None:
        texts = (self.template is not None) + (self.msgid is not None) + (self.write is not None)
        if texts > 1 or (texts == 0 and self.document is None):
            raise ValueError("a message has one of a template, a msgid or a writer (a document may have none)")
        if self.photo is not None and self.document is not None:
            raise ValueError("a message carries a photo or a document, not both")

    def values_for(self, recipient: Recipient) -> Mapping[str, Any]:
        """The values to fill in for ``recipient``."""
        return self.params(recipient) if callable(self.params) else self.params

    def text_for(self, recipient: Recipient) -> str:
        """The message text in the recipient's language (Telegram HTML)."""
        if self.write is not None:
            return self.write(recipient)
        values = self.values_for(recipient)
        if self.template is not None:
            return render(self.template, recipient.locale, **values)
        if self.msgid is None:
            return ""  # a document without a caption
        escaped = {k: html.escape(v) if isinstance(v, str) else v for k, v in values.items()}
        return recipient.tr.gettext(self.msgid, **escaped)

    def markup_for(self, recipient: Recipient) -> dict[str, Any] | None:
        """The inline keyboard for ``recipient`` (Bot API JSON), if any (none when ``buttons`` gives no button)."""
        if self.buttons is None:
            return None
        rows = [
            [(label, data.pack() if isinstance(data, CallbackData) else data) for label, data in row]
            for row in self.buttons(recipient)
        ]
        return outbox.inline_keyboard(rows) if any(rows) else None

    def request(self, text: str) -> tuple[str, dict[str, Any] | None, str | None]:
        """The Bot API method, the file payload (None for a text message) and the text of the row."""
        if self.photo is not None:
            return "sendPhoto", {"photo_path": self.photo, "caption": text, "parse_mode": "HTML"}, None
        if self.document is not None:
            caption = {"caption": text, "parse_mode": "HTML"} if text else {}
            return "sendDocument", {"document_path": self.document, **caption}, None
        return "sendMessage", None, text


@dataclass
class Delivery:
    """What a notification did: the rows it added, who it was for, and whether it went to administrators."""

    queued: int = 0
    recipients: list[Member] = field(default_factory=list)
    via_admins: bool = False
    failed: list[Member] = field(default_factory=list)  # members whose message could not be rendered


async def leaders_else_admins(session: AsyncSession, branch_id: int) -> tuple[list[Member], bool]:
    """The branch's leaders on Telegram; when it has none, the administrators above it (and True)."""
    leaders = await leaders_of(session, branch_id)
    if leaders:
        return leaders, False
    return await admins_above(session, branch_id), True


class Notifier:
    """Queues one message per recipient, in their language, in the caller's unit of work."""

    def __init__(self, session: AsyncSession, env: ServiceEnv) -> None:
        self.session = session
        self.env = env

    async def tell(
        self,
        members: Iterable[Member],
        message: Message,
        *,
        key: str | Callable[[Member], str],
        kind: str = "notice",
        exclude: Collection[int] = (),
        expires_at: datetime | None = None,
        not_before: datetime | None = None,
        priority: int | None = None,
        skip_render_errors: bool = False,
    ) -> Delivery:
        """Queue ``message`` for each member on Telegram (not in ``exclude``, each once) under ``key:<member id>``
        (or the key ``key(member)`` gives, for keys other code matches in another shape).

        ``priority`` (:class:`bot.services.outbox.Priority`) defaults to the kind's. With ``skip_render_errors`` a
        recipient whose text cannot be rendered is logged and left out (listed in
        ``failed``) instead of failing the whole unit of work.
        """
        delivery = Delivery()
        seen: set[int] = set()
        static = not callable(message.params) and message.buttons is None and message.write is None
        rendered: dict[str, tuple[str, dict[str, Any] | None]] = {}  # per locale, when nothing is per person
        for member in members:
            if member.telegram_id is None or member.id in exclude or member.id in seen:
                continue
            seen.add(member.id)
            recipient = Recipient(member, locale_of(member, self.env))
            try:
                if static and recipient.locale in rendered:
                    text, markup = rendered[recipient.locale]
                else:
                    text, markup = message.text_for(recipient), message.markup_for(recipient)
                    rendered[recipient.locale] = (text, markup)
            except Exception:
                if not skip_render_errors:
                    raise
                log.exception(
                    "could not render %s for member %s", message.template or message.msgid or "a message", member.id
                )
                delivery.failed.append(member)
                continue
            delivery.recipients.append(member)
            method, payload, body = message.request(text)
            delivery.queued += int(
                await outbox.enqueue(
                    self.session,
                    dedup_key=key(member) if callable(key) else f"{key}:{member.id}",
                    chat_id=member.telegram_id,
                    member_id=member.id,
                    kind=kind,
                    text=body,
                    method=method,
                    payload=payload,
                    reply_markup=markup,
                    expires_at=expires_at,
                    not_before=not_before,
                    priority=priority,
                )
            )
        return delivery

    async def tell_leaders(
        self, branch_id: int, message: Message, *, key: str, fallback_to_admins: bool = False, **options: Any
    ) -> Delivery:
        """Tell the branch's leaders on Telegram; with ``fallback_to_admins``, the administrators above it when
        it has none. ``options`` are those of :meth:`tell`."""
        if fallback_to_admins:
            members, via_admins = await leaders_else_admins(self.session, branch_id)
        else:
            members, via_admins = await leaders_of(self.session, branch_id), False
        delivery = await self.tell(members, message, key=key, **options)
        delivery.via_admins = via_admins
        return delivery

    async def tell_admins_above(self, org_id: int, message: Message, *, key: str, **options: Any) -> Delivery:
        """Tell the administrators whose subtree holds ``org_id`` (nearest first)."""
        delivery = await self.tell(await admins_above(self.session, org_id), message, key=key, **options)
        delivery.via_admins = True
        return delivery
