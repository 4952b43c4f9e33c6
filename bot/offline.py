"""Telegram without the network: a Bot API stand-in that records calls and returns well-formed replies,
and a factory of updates. The offline console and the handler tests both drive the real Application with it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

from bot.telegram_html import BUTTON_LIMIT, CALLBACK_DATA_LIMIT, CAPTION_LIMIT, TEXT_LIMIT, problems

BOT_ID = 7000000001
BOT_USERNAME = "branch_assistant_bot"


@dataclass
class ApiCall:
    """One Bot API call: the method, its parameters, and the files it uploaded (name → bytes)."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        """The chat the call addressed, if any."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        """The text or caption sent."""
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons_raw(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard's rows of buttons as sent (empty when there is none)."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return []
        return list(markup["inline_keyboard"])

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """``(label, callback_data or url)`` of every inline button, row by row."""
        return [(b["text"], b.get("callback_data") or b.get("url") or "") for row in self.buttons_raw() for b in row]


def refusals(call: ApiCall) -> list[str]:
    """Why Telegram would refuse ``call``'s text or caption (HTML parse mode, length), or its keyboard."""
    found: list[str] = []
    html_mode = str(call.params.get("parse_mode") or "").upper() == "HTML"
    for key, limit in (("text", TEXT_LIMIT), ("caption", CAPTION_LIMIT)):
        value = call.params.get(key)
        if isinstance(value, str) and (call.method.startswith(("send", "edit", "copy"))):
            found += problems(value, limit=limit) if html_mode else ([] if value.strip() else [f"empty {key}"])
    media = call.params.get("media")  # an album's items, an edited media: each caption with its own parse mode
    for item in media if isinstance(media, list) else [media] if isinstance(media, dict) else []:
        caption = item.get("caption") if isinstance(item, dict) else None
        if isinstance(caption, str):
            html = str(item.get("parse_mode") or "").upper() == "HTML"
            found += problems(caption, limit=CAPTION_LIMIT) if html else ([] if caption.strip() else ["empty caption"])
    buttons = [b for row in call.buttons_raw() for b in row]
    if len(buttons) > BUTTON_LIMIT:
        found.append(f"{len(buttons)} buttons")
    for button in buttons:
        data = button.get("callback_data")
        if isinstance(data, str) and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            found.append(f"callback data of {len(data.encode())} bytes")
    return found


class OfflineRequest(BaseRequest):
    """Answers Bot API calls locally and records them; ``failures`` makes chosen chats fail."""

    def __init__(self, on_call: Callable[[ApiCall], None] | None = None) -> None:
        self.calls: list[ApiCall] = []
        self.on_call = on_call
        self._message_ids = itertools.count(1000)
        # chat_id → (HTTP status, description, extra parameters) for the next calls to that chat
        self.failures: dict[int, tuple[int, str, dict[str, Any] | None]] = {}
        # calls Telegram would refuse for their HTML or length (the send boundary should have let none through)
        self.invalid: list[tuple[ApiCall, list[str]]] = []

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float | None:
        """No network, no timeout."""
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Record the call and return what Telegram would."""
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data and request_data.contains_files:
            for name, value in (request_data.multipart_data or {}).items():
                content = value[1] if isinstance(value, tuple) else value
                if isinstance(content, bytes):
                    files[name] = content
        for key in ("reply_markup", "media", "commands", "scope"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        call = ApiCall(api_method, params, files)
        self.calls.append(call)
        found = refusals(call)
        if found:
            self.invalid.append((call, found))
        if self.on_call is not None:
            self.on_call(call)
        failure = self.failures.get(call.chat_id) if call.chat_id is not None else None
        if failure is not None:
            status, description, extra = failure
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if extra:
                body["parameters"] = extra
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(call)}).encode()

    def _message(self, call: ApiCall, **extra: Any) -> dict[str, Any]:
        chat_id = call.chat_id or 0
        message: dict[str, Any] = {
            "message_id": int(call.params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Branch assistant", "username": BOT_USERNAME},
        }
        if "text" in call.params:
            message["text"] = call.params["text"]
        if "caption" in call.params:
            message["caption"] = call.params["caption"]
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only inline keyboards stay on a message
            message["reply_markup"] = markup
        message.update(extra)
        return message

    def _result(self, call: ApiCall) -> Any:
        method = call.method
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Branch assistant",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMediaGroup":
            media = call.params.get("media") or []
            return [self._message(call, caption=item.get("caption", "")) for item in media]
        if method == "sendPhoto":
            photo = [{"file_id": f"photo{next(self._message_ids)}", "file_unique_id": "u", "width": 1, "height": 1}]
            return self._message(call, photo=photo)
        if method.startswith(("send", "edit", "forward", "copy")):
            return self._message(call)
        if method == "getUpdates":
            return []
        return True

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[ApiCall]:
        """Recorded calls, optionally only those to ``chat_id`` and/or of ``method``."""
        return [
            c
            for c in self.calls
            if (chat_id is None or c.chat_id == chat_id) and (method is None or c.method == method)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts and captions sent, in order."""
        return [c.text for c in self.sent(chat_id) if c.text]


class UpdateFactory:
    """Builds the updates a person would cause: messages, commands, button presses, contacts, locations."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._ids = itertools.count(1)

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat(self, user_id: int, chat_id: int | None, first_name: str) -> dict[str, Any]:
        if chat_id is None or chat_id == user_id:
            return {"id": user_id, "type": "private", "first_name": first_name}
        return {"id": chat_id, "type": "supergroup", "title": "branch group"}

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        first_name: str = "User",
        language_code: str | None = "zh-hans",
        **extra: Any,
    ) -> Update:
        """A message from ``user_id`` (in their private chat unless ``chat_id`` names a group)."""
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id, chat_id, first_name),
            "from": self._user(user_id, first_name, language_code),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message.update(extra)
        return Update.de_json({"update_id": next(self._ids), "message": message}, self.bot)

    def edited(self, user_id: int, text: str, **kw: Any) -> Update:
        """The user edits an earlier message of theirs to read ``text``."""
        original = self.message(user_id, text, **kw).to_dict()["message"]
        original["edit_date"] = int(time.time())
        return Update.de_json({"update_id": next(self._ids), "edited_message": original}, self.bot)

    def contact(self, user_id: int, phone: str, *, contact_user_id: int | None = None, **kw: Any) -> Update:
        """The user shares a contact (their own unless ``contact_user_id`` says otherwise)."""
        contact = {"phone_number": phone, "first_name": "User", "user_id": contact_user_id or user_id}
        return self.message(user_id, contact=contact, **kw)

    def location(self, user_id: int, latitude: float, longitude: float, **kw: Any) -> Update:
        """The user shares a location."""
        return self.message(user_id, location={"latitude": latitude, "longitude": longitude}, **kw)

    def photo(self, user_id: int, file_id: str = "photo-file", caption: str | None = None, **kw: Any) -> Update:
        """The user sends a photo."""
        extra: dict[str, Any] = {
            "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600, "file_size": 50_000}]
        }
        if caption:
            extra["caption"] = caption
        return self.message(user_id, **extra, **kw)

    def callback(
        self,
        user_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        message_text: str = "…",
        first_name: str = "User",
        language_code: str | None = "zh-hans",
    ) -> Update:
        """The user presses an inline button carrying ``data`` under a message of the bot."""
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self._chat(user_id, chat_id, first_name),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Branch assistant"},
            "text": message_text,
        }
        query = {
            "id": str(next(self._ids)),
            "from": self._user(user_id, first_name, language_code),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
        return Update.de_json({"update_id": next(self._ids), "callback_query": query}, self.bot)
