"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and benchmarks.

It speaks enough of the Bot API for the bot's real HTTP client: getMe, getUpdates (long polling over a queue
the test fills), sendMessage, editMessageText, answerCallbackQuery, sendPhoto, sendMediaGroup,
setMyCommands… Every call is recorded with its time and parameters.

It also checks Telegram's limits on the messages it receives (any method sending or editing a message),
counting each message that arrives past one of them (:meth:`FakeBotApi.violations`): more than 30 in any
one-second window in all, a second message within a second in a private chat, more than 20 in any 60-second
window in a group (a negative chat id).
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.parse
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Branch assistant",
    "username": "branch_assistant_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class RecordedCall:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # answered (after the simulated latency)
    arrived: float = 0.0  # received (before it)


OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20


def is_message(method: str) -> bool:
    """Whether a Bot API method sends or edits a message (what Telegram's limits count)."""
    return method.startswith(("send", "edit", "copyMessage", "forwardMessage")) and method != "sendChatAction"


@dataclass
class Violations:
    """Messages that arrived past one of Telegram's limits."""

    overall: int = 0  # beyond 30 in a one-second window
    private: int = 0  # within a second of the previous message to the same private chat
    group: int = 0  # beyond 20 in a 60-second window to one group

    @property
    def total(self) -> int:
        return self.overall + self.private + self.group


def count_violations(arrivals: list[tuple[float, int]]) -> Violations:
    """Check ``(time, chat_id)`` arrivals against Telegram's three limits."""
    arrivals = sorted(arrivals)
    times = [t for t, _ in arrivals]
    found = Violations()
    for i, (at, _) in enumerate(arrivals):
        if i - bisect_left(times, at - 1.0 + 1e-9) + 1 > OVERALL_PER_SECOND:
            found.overall += 1
    by_chat: dict[int, list[float]] = defaultdict(list)
    for at, chat in arrivals:
        by_chat[chat].append(at)
    for chat, chat_times in by_chat.items():
        for i, at in enumerate(chat_times):
            if chat > 0 and i and at - chat_times[i - 1] < 1.0:
                found.private += 1
            if chat < 0 and i - bisect_left(chat_times, at - 60.0 + 1e-9) + 1 > GROUP_PER_MINUTE:
                found.group += 1
    return found


class FakeBotApi:
    """Start with :meth:`start`; feed updates with :meth:`push_update`; read :attr:`calls`."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency  # seconds added to every send*, like a real network round trip
        self.calls: list[RecordedCall] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self.first_poll_at: float | None = None  # when the first getUpdates arrived (the bot is ready)

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_BASE_URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> FakeBotApi:
        """Serve on a free loopback port in a background thread."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Telegram's servers: no new connection per call
            # TCP_NODELAY, as web servers set it (nginx's tcp_nodelay): without it the body, written after the
            # headers, waits for the client's delayed ACK of them, and a third of the answers came 40 ms late.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client died mid-request (kill -9): a server drops what it cannot read
                    self.close_connection = True
                    return
                method = self.path.rsplit("/", 1)[-1]
                params = _parse(self.headers.get("Content-Type", ""), body)
                status, payload = api.handle(method, params)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bot stopped mid-poll
                    self.wfile.write(data)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            self._lock.notify_all()

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot's next getUpdates; returns its update_id."""
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._lock.notify_all()
            return int(update["update_id"])

    def message_from(self, user_id: int, text: str, first_name: str = "User", language_code: str = "zh-hans") -> int:
        """Queue a private message (a command gets its entity)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "text": text,
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code},
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.push_update({"message": message})

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> RecordedCall:
        """The first recorded call matching ``predicate``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for call in self.calls:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [c.method for c in self.calls][-20:]
                    raise TimeoutError(f"no matching call within {timeout}s; last calls: {methods}")
                self._lock.wait(min(remaining, 0.1))

    def violations(self) -> Violations:
        """The messages received so far that broke one of Telegram's limits."""
        with self._lock:
            arrivals = [
                (c.arrived, int(c.params.get("chat_id", 0)))
                for c in self.calls
                if is_message(c.method) and str(c.params.get("chat_id", "")).lstrip("-").isdigit()
            ]
        return count_violations(arrivals)

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call."""
        if method == "getUpdates":
            if self.first_poll_at is None:
                self.first_poll_at = time.monotonic()
            return 200, {"ok": True, "result": self._get_updates(params)}
        arrived = time.monotonic()
        if method.startswith("send") and self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.calls.append(RecordedCall(method, params, arrived=arrived))
            self._lock.notify_all()
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in ("sendMessage", "sendPhoto", "editMessageText", "sendDocument"):
            chat_id = int(params.get("chat_id", 0))
            result = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT_USER,
                "text": params.get("text") or params.get("caption") or "",
            }
            return 200, {"ok": True, "result": result}
        if method == "sendMediaGroup":
            chat_id = int(params.get("chat_id", 0))
            media = json.loads(params.get("media", "[]"))
            return 200, {
                "ok": True,
                "result": [
                    {
                        "message_id": next(self._message_ids),
                        "date": int(time.time()),
                        "from": BOT_USER,
                        "chat": {"id": chat_id, "type": "private"},
                    }
                    for _ in media
                ],
            }
        return 200, {"ok": True, "result": True}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)  # bounded: tests never hang on a poll
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                pending = [u for u in self._updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending[: int(params.get("limit") or 100)]  # Telegram's default and most: 100
                self._lock.wait(max(0.0, deadline - time.monotonic()))


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    """Form, JSON or multipart parameters as a flat dict of strings (files as bytes)."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body))
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            params[str(name)] = payload if part.get_filename() else payload.decode()
        return params
    return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
