"""The send boundary: every message the bot sends or edits leaves through :class:`OutgoingBot`.

Handlers' replies and the outbox worker's pushes both go through ``application.bot``, so this one ExtBot
subclass (public PTB API: it overrides the public send/edit methods) is where Telegram's rules are enforced:

1. every HTML text and caption is checked (``bot.telegram_html``); an invalid one is logged with its origin,
   counted, and sent as a safe version (markup stripped, text escaped) instead of being refused by Telegram;
2. the limits: a text over 4,096 characters is split at line boundaries (tags closed and reopened across a cut),
   a caption over 1,024 (a file's, an album item's, an edited caption or media's) moves into a following text,
   an inline keyboard with callback data over 64 bytes or over 100 buttons is dropped (logged and counted)
   rather than losing the whole message;
3. a private screen (:class:`bot.screens.PrivateText`) never reaches a group: the group gets a short notice with
   a button that opens the private chat, and a button pressed in a group is answered with an alert instead of
   editing the group's message.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.i18n import DEFAULT_LOCALE, N_, normalize_locale, translator
from bot.screens import PrivateText
from bot.telegram_html import (
    BUTTON_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    problems,
    safe_text,
    split_html,
)
from bot.unit import UnitApplication

log = logging.getLogger(__name__)

ALERT_LIMIT = 200  # characters of a callback query's answer
PRIVATE_START = "private"  # the /start payload of the "open the private chat" button

# Said of every private screen: another member's names and reasons, or the person's own records (/my, /myservice).
PRIVATE_NOTICE = N_("This screen shows personal information, so I only show it in a private chat with me.")
PRIVATE_BUTTON = N_("Open the private chat")


@dataclass
class BoundaryStats:
    """What the boundary had to correct: tests read these; each correction is also logged as an error."""

    invalid: int = 0  # texts/captions that were not valid Telegram HTML (sent as a safe version)
    bad_markup: int = 0  # keyboards dropped (callback data over 64 bytes, over 100 buttons)
    split: int = 0  # texts cut into several messages, captions moved into a text
    private_refused: int = 0  # private screens kept out of a group
    problems: list[str] = field(default_factory=list)


@dataclass
class _Origin:
    """The update being handled (if any): its callback query, the sender's language, what was answered."""

    update: Update
    answered_by_boundary: bool = False
    answered: bool = False
    notices: dict[object, Message] = field(default_factory=dict)  # the private-screen notice sent, per group

    @property
    def query_id(self) -> str | None:
        return self.update.callback_query.id if self.update.callback_query else None

    @property
    def language(self) -> str | None:
        user = self.update.effective_user
        return user.language_code if user else None


_ABSENT = object()  # an argument the caller left out

_origin: ContextVar[_Origin | None] = ContextVar("outgoing_origin", default=None)


class OutgoingApplication(UnitApplication):
    """The Application that tells the boundary which update a message answers (for alerts and languages)."""

    async def process_update(self, update: object) -> None:
        """Process ``update`` with its origin known to :class:`OutgoingBot`."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        token = _origin.set(_Origin(update))
        try:
            await super().process_update(update)
        finally:
            _origin.reset(token)


def _is_group(chat_id: object) -> bool:
    """Group, supergroup and channel ids are negative; a private chat's id is the person's (positive)."""
    if isinstance(chat_id, int):
        return chat_id < 0
    if isinstance(chat_id, str):  # "-100…" or a channel's "@name"
        return chat_id.startswith(("-", "@"))
    return False


def _caller() -> str:
    """The first frame outside PTB and this module: where the message was made."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("telegram", __name__, "asyncio")):
            return f"{module}:{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


class OutgoingBot(ExtBot[Any]):
    """ExtBot that enforces Telegram's HTML, its limits and private screens on every outgoing message."""

    def __init__(self, *args: Any, default_locale: str = DEFAULT_LOCALE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # TelegramObjects are frozen after __init__ except for underscored attributes
        self._default_locale = default_locale
        self._stats = BoundaryStats()

    @property
    def stats(self) -> BoundaryStats:
        """What the boundary corrected since the bot was made (tests read it)."""
        return self._stats

    # --- checks ------------------------------------------------------------------------------------------------

    def _html_mode(self, parse_mode: object, entities: object) -> bool:
        """Whether the text is parsed as HTML: said so, or left to the Defaults (HTML for this bot)."""
        if entities:
            return False
        if parse_mode is None:
            return False
        if isinstance(parse_mode, str):  # otherwise absent or PTB's DEFAULT_NONE: the Defaults decide
            return parse_mode.upper() == ParseMode.HTML.upper()
        default = self.defaults.parse_mode if self.defaults else None
        return isinstance(default, str) and default.upper() == ParseMode.HTML.upper()

    def _valid(self, text: str, method: str, chat_id: object) -> str:
        """``text`` if it is valid Telegram HTML, otherwise its safe version (logged and counted)."""
        found = problems(text)
        if not found:
            return text
        self._stats.invalid += 1
        origin = _caller()
        self._stats.problems.append(f"{origin}: {found[0]}")
        log.error("invalid Telegram HTML from %s (%s to chat %s): %s", origin, method, chat_id, "; ".join(found))
        safe = safe_text(text)
        return PrivateText(safe, text.reason) if isinstance(text, PrivateText) else safe

    def _markup(self, markup: Any, method: str, chat_id: object) -> Any:
        """``markup`` unless Telegram would refuse it (then None: the message still goes, without its buttons)."""
        if not isinstance(markup, InlineKeyboardMarkup):
            return markup
        buttons = [button for row in markup.inline_keyboard for button in row]
        too_long = [b.callback_data for b in buttons if isinstance(b.callback_data, str)]
        too_long = [d for d in too_long if len(d.encode()) > CALLBACK_DATA_LIMIT]
        if len(buttons) <= BUTTON_LIMIT and not too_long:
            return markup
        self._stats.bad_markup += 1
        origin = _caller()
        why = (
            f"{len(buttons)} buttons" if len(buttons) > BUTTON_LIMIT else f"callback data {too_long[0]!r} over 64 bytes"
        )
        self._stats.problems.append(f"{origin}: {why}")
        log.error("inline keyboard dropped from %s (%s to chat %s): %s", origin, method, chat_id, why)
        return None

    def _tr(self) -> Callable[[str], str]:
        origin = _origin.get()
        locale = normalize_locale(origin.language if origin else None, self._default_locale)
        return translator(locale).gettext

    def _private_link(self) -> InlineKeyboardMarkup:
        try:
            username = self.username
        except RuntimeError:  # not initialised (no getMe yet): the link can still be written
            username = "bot"
        url = f"https://t.me/{username}?start={PRIVATE_START}"
        return InlineKeyboardMarkup([[InlineKeyboardButton(self._tr()(PRIVATE_BUTTON), url=url)]])

    def _refuse_private(self, text: PrivateText, chat_id: object) -> None:
        self._stats.private_refused += 1
        log.info(
            "private screen (%s) kept out of group %s, from %s", text.reason or "no reason given", chat_id, _caller()
        )

    async def _refuse_edit(self, text: PrivateText, chat_id: object) -> bool:
        """A private screen about to be edited into a group's message: an alert to the person who pressed (while
        the press is unanswered), otherwise the notice with the private chat's button in the group."""
        self._refuse_private(text, chat_id)
        origin = _origin.get()
        if origin is not None and origin.query_id is not None and not origin.answered:
            origin.answered = origin.answered_by_boundary = True
            await super().answer_callback_query(origin.query_id, text=self._tr()(PRIVATE_NOTICE), show_alert=True)
            return True
        assert isinstance(chat_id, int | str)
        await super().send_message(chat_id, self._tr()(PRIVATE_NOTICE), reply_markup=self._private_link())
        return True

    async def _refuse_send(self, text: PrivateText, chat_id: int | str, **params: Any) -> Message:
        """A private screen (a text, a caption) about to be sent to a group: the notice goes instead, once per
        update (a command answered with several private screens, /service, gets one notice, not one each)."""
        self._refuse_private(text, chat_id)
        origin = _origin.get()
        if origin is not None and chat_id in origin.notices:
            return origin.notices[chat_id]
        params.update(chat_id=chat_id, text=self._tr()(PRIVATE_NOTICE), reply_markup=self._private_link())
        message = await super().send_message(**params)
        if origin is not None:
            origin.notices[chat_id] = message
        return message

    def _caption(self, caption: str, html: bool, method: str, chat_id: object) -> tuple[str | None, str | None]:
        """``(caption, text)``: the caption to send (its safe version if invalid) and nothing after it, or, when
        it is too long for a caption, no caption and the text to send after the media."""
        if not html:
            return caption, None
        caption = self._valid(caption, method, chat_id)
        if len(split_html(caption, CAPTION_LIMIT)) == 1:
            return caption, None
        self._stats.split += 1
        return None, caption

    def _media(self, media: Any, method: str, chat_id: object) -> tuple[Any, str | None]:
        """``(media, text)``: an InputMedia with its caption checked (a copy when changed), and the text to send
        after it when its caption was too long."""
        caption = getattr(media, "caption", None)
        if not isinstance(caption, str):
            return media, None
        html = self._html_mode(getattr(media, "parse_mode", _ABSENT), getattr(media, "caption_entities", None))
        checked, after = self._caption(caption, html, method, chat_id)
        if checked is caption:
            return media, None
        media = copy(media)
        with media._unfrozen():  # TelegramObjects are frozen; PTB's own ExtBot copies and edits InputMedia alike
            media.caption = checked
        return media, after

    # --- the public methods every message goes through --------------------------------------------------------

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        """Send a text: checked, split when long, kept out of groups when private."""
        params = _arguments(ExtBot.send_message, self, args, kwargs)
        chat_id, text = params["chat_id"], params["text"]
        if isinstance(text, PrivateText) and _is_group(chat_id):
            rest = {key: value for key, value in params.items() if key not in ("chat_id", "text")}
            return await self._refuse_send(text, chat_id, **rest)
        if not isinstance(text, str) or not self._html_mode(params.get("parse_mode", _ABSENT), params.get("entities")):
            return await super().send_message(**params)
        text = self._valid(text, "sendMessage", chat_id)
        markup = self._markup(params.get("reply_markup"), "sendMessage", chat_id)
        pieces = split_html(text, TEXT_LIMIT)
        if len(pieces) == 1:
            return await super().send_message(**{**params, "text": text, "reply_markup": markup})
        self._stats.split += 1
        message: Message | None = None
        for number, piece in enumerate(pieces, 1):
            last = number == len(pieces)
            message = await super().send_message(**{**params, "text": piece, "reply_markup": markup if last else None})
            # only the first piece answers the person's message
            params.update(reply_parameters=None, reply_to_message_id=None)
        assert message is not None
        return message

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Edit a text: checked; a private screen is never edited into a group's message."""
        params = _arguments(ExtBot.edit_message_text, self, args, kwargs)
        chat_id, text = params.get("chat_id"), params["text"]
        if isinstance(text, PrivateText) and _is_group(chat_id):
            return await self._refuse_edit(text, chat_id)
        if not isinstance(text, str) or not self._html_mode(params.get("parse_mode", _ABSENT), params.get("entities")):
            return await super().edit_message_text(**params)
        text = self._valid(text, "editMessageText", chat_id)
        markup = self._markup(params.get("reply_markup"), "editMessageText", chat_id)
        pieces = split_html(text, TEXT_LIMIT)
        if len(pieces) == 1 or chat_id is None:
            return await super().edit_message_text(**{**params, "text": pieces[0], "reply_markup": markup})
        self._stats.split += 1
        result = await super().edit_message_text(**{**params, "text": pieces[0], "reply_markup": None})
        for number, piece in enumerate(pieces[1:], 2):
            await super().send_message(chat_id, piece, reply_markup=markup if number == len(pieces) else None)
        return result

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> bool:
        """Answer a press once: a press the boundary already answered with an alert is not answered again."""
        params = _arguments(ExtBot.answer_callback_query, self, args, kwargs)
        origin = _origin.get()
        if origin is not None and origin.query_id == str(params["callback_query_id"]):
            if origin.answered_by_boundary:
                return True
            origin.answered = True
        text = params.get("text")
        if isinstance(text, str) and len(text) > ALERT_LIMIT:
            params["text"] = text[: ALERT_LIMIT - 1] + "…"
        return await super().answer_callback_query(**params)

    async def send_photo(self, *args: Any, **kwargs: Any) -> Message:
        """Send a photo: its caption checked, moved into a following text when long."""
        return await self._send_captioned(ExtBot.send_photo, "sendPhoto", args, kwargs)

    async def send_document(self, *args: Any, **kwargs: Any) -> Message:
        """Send a document: its caption checked, moved into a following text when long."""
        return await self._send_captioned(ExtBot.send_document, "sendDocument", args, kwargs)

    async def send_video(self, *args: Any, **kwargs: Any) -> Message:
        """Send a video: its caption checked, moved into a following text when long."""
        return await self._send_captioned(ExtBot.send_video, "sendVideo", args, kwargs)

    async def send_animation(self, *args: Any, **kwargs: Any) -> Message:
        """Send an animation: its caption checked, moved into a following text when long."""
        return await self._send_captioned(ExtBot.send_animation, "sendAnimation", args, kwargs)

    async def send_audio(self, *args: Any, **kwargs: Any) -> Message:
        """Send an audio file: its caption checked, moved into a following text when long."""
        return await self._send_captioned(ExtBot.send_audio, "sendAudio", args, kwargs)

    async def send_voice(self, *args: Any, **kwargs: Any) -> Message:
        """Send a voice note: its caption checked, moved into a following text when long."""
        return await self._send_captioned(ExtBot.send_voice, "sendVoice", args, kwargs)

    async def _send_captioned(
        self, method: Callable[..., Awaitable[Message]], name: str, args: Any, kwargs: Any
    ) -> Message:
        """Send a file with a caption through ``method`` (ExtBot's own): checked, kept out of groups if private."""
        params = _arguments(method, self, args, kwargs)
        verdict = await self._caption_checked(params, name)
        if isinstance(verdict, Message):
            return verdict
        if verdict:
            return await method(self, **params)
        message = await method(self, **{**params, "caption": None})
        await self.send_message(params["chat_id"], params["caption"])
        return message

    async def send_media_group(self, *args: Any, **kwargs: Any) -> tuple[Message, ...]:
        """Send an album: every caption checked (a long one follows the album as a text); an album with a
        private caption never reaches a group (the notice does)."""
        params = _arguments(ExtBot.send_media_group, self, args, kwargs)
        chat_id = params["chat_id"]
        captions = [getattr(m, "caption", None) for m in params["media"]] + [params.get("caption")]
        secret = next((c for c in captions if isinstance(c, PrivateText)), None)
        if secret is not None and _is_group(chat_id):
            return (await self._refuse_send(secret, chat_id),)
        after: list[str] = []
        media = []
        for item in params["media"]:
            checked, text = self._media(item, "sendMediaGroup", chat_id)
            media.append(checked)
            after += [text] if text else []
        params["media"] = media
        caption = params.get("caption")
        if isinstance(caption, str):  # PTB's shortcut for the first item's caption
            html = self._html_mode(params.get("parse_mode", _ABSENT), params.get("caption_entities"))
            params["caption"], text = self._caption(caption, html, "sendMediaGroup", chat_id)
            after += [text] if text else []
        messages = await super().send_media_group(**params)
        for text in after:
            await self.send_message(chat_id, text)
        return messages

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Edit a caption: checked (a long one is removed and sent as a text after); never a private one into a
        group's message."""
        params = _arguments(ExtBot.edit_message_caption, self, args, kwargs)
        chat_id, caption = params.get("chat_id"), params.get("caption")
        if isinstance(caption, PrivateText) and _is_group(chat_id):
            return await self._refuse_edit(caption, chat_id)
        params["reply_markup"] = self._markup(params.get("reply_markup"), "editMessageCaption", chat_id)
        if not isinstance(caption, str):
            return await super().edit_message_caption(**params)
        html = self._html_mode(params.get("parse_mode", _ABSENT), params.get("caption_entities"))
        params["caption"], text = self._caption(caption, html, "editMessageCaption", chat_id)
        result = await super().edit_message_caption(**params)
        if text and chat_id is not None:
            await self.send_message(chat_id, text)
        return result

    async def edit_message_media(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Replace a message's media: its caption checked like a sent one's; never a private one into a group."""
        params = _arguments(ExtBot.edit_message_media, self, args, kwargs)
        chat_id, caption = params.get("chat_id"), getattr(params["media"], "caption", None)
        if isinstance(caption, PrivateText) and _is_group(chat_id):
            return await self._refuse_edit(caption, chat_id)
        params["reply_markup"] = self._markup(params.get("reply_markup"), "editMessageMedia", chat_id)
        params["media"], text = self._media(params["media"], "editMessageMedia", chat_id)
        result = await super().edit_message_media(**params)
        if text and chat_id is not None:
            await self.send_message(chat_id, text)
        return result

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Replace a message's buttons: a keyboard Telegram would refuse is dropped (logged and counted)."""
        params = _arguments(ExtBot.edit_message_reply_markup, self, args, kwargs)
        params["reply_markup"] = self._markup(
            params.get("reply_markup"), "editMessageReplyMarkup", params.get("chat_id")
        )
        return await super().edit_message_reply_markup(**params)

    async def _caption_checked(self, params: dict[str, Any], method: str) -> bool | Message:
        """Check the caption in ``params`` (replaced by its safe version if invalid); False when it is too long
        for a caption and must follow the media as a text; the notice sent instead of a private file in a group."""
        chat_id, caption = params["chat_id"], params.get("caption")
        if isinstance(caption, PrivateText) and _is_group(chat_id):
            # A file with a private caption is private too: neither goes, the notice does.
            return await self._refuse_send(caption, chat_id)
        if not isinstance(caption, str) or not self._html_mode(
            params.get("parse_mode", _ABSENT), params.get("caption_entities")
        ):
            return True
        params["caption"] = self._valid(caption, method, chat_id)
        params["reply_markup"] = self._markup(params.get("reply_markup"), method, chat_id)
        if len(split_html(params["caption"], CAPTION_LIMIT)) == 1:
            return True
        self._stats.split += 1
        return False


@cache
def _signature(method: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(method)  # built once per method (it was built anew for every message)


def _arguments(method: Callable[..., Any], bot: ExtBot[Any], args: Any, kwargs: Any) -> dict[str, Any]:
    """The call's arguments by name (without ``self``), as the PTB method declares them."""
    if not args and "self" not in kwargs:  # PTB's shortcuts (reply_text …) pass keywords only: nothing to bind
        return dict(kwargs)
    arguments = dict(_signature(method).bind(bot, *args, **kwargs).arguments)
    arguments.pop("self")
    return arguments
