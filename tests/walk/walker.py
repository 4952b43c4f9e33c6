"""The scripted walk (issue 12): every command and, breadth first, every button it leads to, as one person in
one language, in a private chat and in the branch's group chat. Each screen (what the bot sent or edited, with
its buttons, and the pushes the outbox then delivered to anyone) goes into a readable transcript.

What is pressed is decided by the screens, not by a list kept by hand, so a new button is walked as soon as a
screen shows it. To keep the walk short, each kind of button (its callback data with the numbers left out) is
pressed at most :data:`PRESSES_PER_KIND` times per walk; buttons that would end the walk's usefulness early
(another language) are left out, see :func:`skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.callbacks import BadCallback, parse_any
from bot.context import BranchApplication
from bot.offline import ApiCall, OfflineRequest, UpdateFactory

PRESSES_PER_KIND = 1
MAX_PRESSES_PER_COMMAND = 60
GROUP_CHAT = -1001234567890

# Commands that need words after them to show their screen (a bare one is walked too: it shows the hint).
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "measure": ("16",),
    "ask": ("怎样开展主题党日",),
}

# What a person types (or presses, or shares) after a command, or after a button of a kind, whose flow asks for
# words: each text is sent in turn; "press:R" presses the first button of the last screens whose callback data
# matches R ("label:R": whose label matches R); "location:LAT,LON" shares a location. Buttons after the last step
# are explored as usual. The same words serve both languages (they are data: names, dates, numbers). A command
# that opens no flow may have a script of presses only: the buttons of its own screen are explored too.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "/activity_new": ("关爱儿童志愿服务", "花园", "press:^vnc:", "2026-12-12 09:00-11:00", "6"),
    "/addmaterial": ("党章学习材料", "人民日报", "2026-11-30"),
    "/report": ("press:^vpd:", "2", "press:^vpc:", "清扫社区公共区域"),
    "/checkin": ("123456",),
    "/newmeeting": ("press:^mn:k:group_meeting$",),
    "vcc:go": ("主山",),
    "mt:#:geo": ("location:23.0200,113.7600",),
    # The list opens the closed meeting's card; the coming theme Party day's card has the location check.
    "/meetings": ("label:主题党日|Theme Party day",),
    "sc:s:#:#:*": ("4", "开展红色驿站项目"),  # a self-assessment: score, note (then Done, the only button)
    "sc:a:#:#:*": ("3", "创新项目尚在筹备"),  # an adjustment: score, reason
    "sr:object:#:#": ("志愿服务比例统计有误",),
    "sr:answer:#:#": ("经复核，统计无误",),
}
# Kinds pressed again each time they show on a changed screen: the meeting card's "close" refuses until the first
# agenda item is recorded, then opens the closing flow.
# An administrator's star list opens each branch (one under notice, one objected: each offers other steps).
AGAIN = frozenset({"mt:#:cl", "sv:o:#:#"})

_SHOWN = (
    "sendMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "sendLocation",
    "sendVenue",
    "answerCallbackQuery",
    "deleteMessage",
    "pinChatMessage",
)


@dataclass
class Screen:
    """One thing a person saw: a message sent or edited, an alert, a file."""

    key: str  # what caused it, without numbers: "/help", "mt:#:card", "/report → push"
    locale: str
    chat: str  # "A01", "group", …
    method: str
    text: str
    buttons: list[list[str]]
    push: bool

    def render(self) -> str:
        head = f"<< {self.method} → {self.chat}" + (" (push)" if self.push else "")
        lines = [head]
        if self.text:
            lines += ["   " + line if line else "" for line in self.text.splitlines()]
        for row in self.buttons:
            lines.append("   " + " ".join(f"[{label}]" for label in row))
        return "\n".join(lines)


@dataclass
class Walk:
    """One walk's results."""

    role: str
    locale: str
    person: str
    transcript: list[str] = field(default_factory=list)
    screens: list[Screen] = field(default_factory=list)
    pressed: list[str] = field(default_factory=list)  # every callback data pressed, in order
    patterns: list[str] = field(default_factory=list)  # the button handlers' patterns (their names) walked
    reached: set[str] = field(default_factory=set)  # the patterns some pressed button matched


# Kinds of buttons that end or undo something: pressed after their screen's other buttons.
_UNDOING = re.compile(r"(?:^|:)(?:x|n|no|cx|cxy|cancel|leave|off|del|delete|remove|reject|undo|back|stop)(?::|$)")


# Secrets differ in every run: the random part of deep links (invitations, check-in links) and the meetings'
# six-digit check-in codes. The transcript shows them masked.
_TOKEN = re.compile(r"(start=[a-z]+_)[A-Za-z0-9_-]{8,}")
_CODE = re.compile(r"(?<![\d.,:/-])\d{6}(?![\d,:/-]|\.\d)")  # a sentence's full stop may follow


def masked(text: str) -> str:
    """``text`` with the random part of deep links replaced by ``…`` and six-digit codes by ``######``."""
    return _CODE.sub("######", _TOKEN.sub(r"\1…", text))


def kind_of(data: str) -> str:
    """A button's kind: its callback data with ids and free text left out (``mt:#:card``, ``mn:d:#-#-#``)."""
    try:
        button = parse_any(data)
    except BadCallback:
        return re.sub(r"\d+", "#", data)
    parts = [button.prefix()]
    for spec in button.__fields__:
        value = getattr(button, spec.name)
        if value is None:
            continue
        if spec.kind == "int":
            parts.append("#")
        elif spec.kind == "str":
            parts.append("*")
        elif spec.kind == "bool":
            parts.append("1" if value else "0")
        else:
            parts.append(str(getattr(value, "value", value)))
    return ":".join(parts)


def skipped(data: str, locale: str) -> str | None:
    """Why the walk does not press this button (None: it does)."""
    if data.startswith("lang:") and data != f"lang:{locale}":
        return "switches the walker to another language; the other locale's walk presses it"
    return None


def all_handlers(application: BranchApplication) -> list[BaseHandler[Any, Any, Any]]:
    """Every handler of the application, those inside conversations included."""
    found: list[BaseHandler[Any, Any, Any]] = []

    def visit(handler: Any) -> None:
        found.append(handler)
        # python-telegram-bot's conversations and our flows (handlers/flows.py) hold their handlers alike.
        if isinstance(handler, ConversationHandler) or hasattr(handler, "entry_points"):
            for inner in [*handler.entry_points, *handler.fallbacks]:
                visit(inner)
            for state in handler.states.values():
                for inner in state:
                    visit(inner)

    for group in sorted(application.handlers):
        for handler in application.handlers[group]:
            visit(handler)
    return found


def command_names(application: BranchApplication) -> list[str]:
    """Every command a handler answers, sorted."""
    names: set[str] = set()
    for handler in all_handlers(application):
        if isinstance(handler, CommandHandler):
            names |= set(handler.commands)
    return sorted(names)


def button_patterns(application: BranchApplication) -> dict[str, Callable[[str], bool]]:
    """The pattern of every button handler, by a stable name: a regular expression's text, or for a function
    (``pressed(MeetingAction.CLOSE)``) its name and the values it closes over."""
    patterns: dict[str, Callable[[str], bool]] = {}
    for handler in all_handlers(application):
        if not isinstance(handler, CallbackQueryHandler) or handler.pattern is None:
            continue
        pattern = handler.pattern
        if isinstance(pattern, re.Pattern):
            patterns[pattern.pattern] = lambda data, p=pattern: p.search(data) is not None
        elif isinstance(pattern, str):
            patterns[pattern] = lambda data, p=re.compile(pattern): p.search(data) is not None
        elif callable(pattern):
            closed = [cell.cell_contents for cell in getattr(pattern, "__closure__", None) or ()]
            values = ", ".join(
                str(getattr(v, "value", v)) for c in closed for v in (c if isinstance(c, tuple) else (c,))
            )
            name = f"{pattern.__module__}.{pattern.__qualname__.split('.')[0]}({values})"
            patterns[name] = lambda data, f=pattern: bool(f(data))
    return patterns


def _matching(screens: Iterable[tuple[Screen, ApiCall]], step: str) -> list[tuple[str, str, str]]:
    """The buttons (callback data, label, their message's text) of ``screens`` that a "press:R" step matches by
    callback data, or a "label:R" step by label."""
    by_label = step.startswith("label:")
    wanted = re.compile(step.split(":", 1)[1])
    return [
        (str(b.get("callback_data")), str(b["text"]), call.text)
        for _screen, call in screens
        for row in call.buttons_raw()
        for b in row
        if b.get("callback_data") and wanted.search(str(b["text"] if by_label else b["callback_data"]))
    ]


class Walker:
    """Drives the application as one person and writes down what everybody saw."""

    def __init__(
        self,
        application: BranchApplication,
        request: OfflineRequest,
        walk: Walk,
        user_id: int,
        names: dict[int, str],
        outbox_size: Callable[[], int] = lambda: -1,
        in_flow: Callable[[int], bool] = lambda _user: True,
    ) -> None:
        self.application = application
        self.request = request
        self.updates = UpdateFactory(application.bot)
        self.walk = walk
        self.user_id = user_id
        self.names = names  # Telegram id → how the transcript names the chat ("A01"); the group is "group"
        self.presses_by_kind: dict[str, int] = {}
        self.group_screens: list[tuple[Screen, ApiCall]] = []  # what reached the group chat, to press it there
        self.in_flow = in_flow  # whether a person is in a guided flow (a refused command opens none)
        self.outbox_size = outbox_size  # the outbox's last id: drained only when it grew (draining is not free)
        self._drained_at = -2
        self.language_code = "zh-hans" if walk.locale == "zh_CN" else "en"

    # -- recording -------------------------------------------------------------------------------------------

    def _chat_name(self, chat_id: int | None) -> str:
        if chat_id == GROUP_CHAT:
            return "group"
        return self.names.get(chat_id or 0, str(chat_id))

    def _screens(self, calls: Sequence[ApiCall], key: str, push: bool) -> list[tuple[Screen, ApiCall]]:
        found: list[tuple[Screen, ApiCall]] = []
        for call in calls:
            if call.method not in _SHOWN:
                continue
            text = masked(call.text)
            if call.method == "answerCallbackQuery" and not text:
                continue
            if call.method in ("sendDocument", "sendPhoto", "sendMediaGroup") and not text:
                text = "(" + call.method[4:].lower() + ")"
            if call.method in ("sendLocation", "sendVenue"):
                text = str(call.params.get("title") or "(location)")
            if call.method == "deleteMessage":
                text = ""
            buttons = [[str(b["text"]) + (" ↗" if "url" in b else "") for b in row] for row in call.buttons_raw()]
            chat = self.walk.person if call.method == "answerCallbackQuery" else self._chat_name(call.chat_id)
            screen = Screen(key + (" → push" if push else ""), self.walk.locale, chat, call.method, text, buttons, push)
            found.append((screen, call))
        return found

    async def _act(self, update: Any, title: str, key: str) -> list[tuple[Screen, ApiCall]]:
        before = len(self.request.calls)
        await self.application.process_update(update)
        replies = self._screens(self.request.calls[before:], key, push=False)
        before = len(self.request.calls)
        size = self.outbox_size()
        if size != self._drained_at:
            worker = self.application.bot_data["resources"].worker
            while await worker.drain(budget_seconds=10.0):  # until nothing more goes: a slow machine loses nothing
                pass
            self._drained_at = self.outbox_size() if size >= 0 else -2
        pushes = self._screens(self.request.calls[before:], key, push=True)
        self.walk.transcript.append(f">> {title}    [{key}]")
        for screen, call in replies + pushes:
            if screen.chat == "group":
                self.group_screens.append((screen, call))
            self.walk.screens.append(screen)
            self.walk.transcript.append(screen.render())
        self.walk.transcript.append("")
        return replies + pushes

    # -- acting ----------------------------------------------------------------------------------------------

    async def say(self, text: str, *, in_group: bool = False) -> list[tuple[Screen, ApiCall]]:
        where = "group" if in_group else "private"
        key = ("group " if in_group else "") + (text.split()[0] if text.startswith("/") else "text")
        update = self.updates.message(
            self.user_id,
            text,
            chat_id=GROUP_CHAT if in_group else None,
            first_name=self.walk.person,
            language_code=self.language_code,
        )
        return await self._act(update, f"{self.walk.person} ({where}): {text}", key)

    async def press(self, data: str, label: str, message_text: str, *, in_group: bool) -> list[tuple[Screen, ApiCall]]:
        where = "group" if in_group else "private"
        kind = kind_of(data)
        self.walk.pressed.append(data)
        update = self.updates.callback(
            self.user_id,
            data,
            chat_id=GROUP_CHAT if in_group else None,
            message_text=message_text,
            first_name=self.walk.person,
            language_code=self.language_code,
        )
        key = ("group " if in_group else "") + kind
        return await self._act(update, f"{self.walk.person} ({where}) presses [{label}]", key)

    async def run_script(
        self, command: str, first: list[tuple[Screen, ApiCall]], *, in_group: bool
    ) -> list[tuple[Screen, ApiCall]]:
        """Type (or press) the steps of :data:`SCRIPTS` for ``command``; returns the last step's screens."""
        last = first
        steps = SCRIPTS.get(command, ())
        kept: list[tuple[Screen, ApiCall]] = []  # a screen whose buttons are explored besides the last step's
        if in_group:
            return last  # answered in the group: nothing to type
        if command.startswith("/") and not self.in_flow(self.user_id):
            if not steps or not all(step.startswith("label:") for step in steps) or not _matching(first, steps[0]):
                return last  # the command was refused (or its screen has not the button): nothing to type
            kept = list(first)  # a command without a flow: its own buttons are pressed too
        for step in steps:
            if step.startswith("location:"):
                latitude, longitude = (float(x) for x in step.removeprefix("location:").split(","))
                update = self.updates.location(
                    self.user_id, latitude, longitude, first_name=self.walk.person, language_code=self.language_code
                )
                last = await self._act(update, f"{self.walk.person} (private) shares a location", "location")
            elif step.startswith(("press:", "label:")):
                buttons = _matching(last, step)
                if not buttons:
                    self.walk.transcript.append(f"!! no button matching {step.split(':', 1)[1]!r} to press")
                    continue
                data, label, text = buttons[0]
                last = await self.press(data, label, text, in_group=in_group)
            else:
                last = await self.say(step, in_group=in_group)
        return kept + last

    async def explore(self, first: Iterable[tuple[Screen, ApiCall]], *, in_group: bool) -> None:
        """Press, depth first, the buttons of the walker's screens (and of the screens they lead to): a flow is
        followed to its end before the buttons of earlier screens are tried. On each screen the buttons that
        leave or undo (cancel, back out, turn off) come last, after those that go on."""
        chat = "group" if in_group else self.walk.person
        stack: list[tuple[str, str, str, bool]] = []
        seen: set[tuple[str, str]] = set()

        def offer(results: Iterable[tuple[Screen, ApiCall]]) -> None:
            fresh: list[tuple[str, str, str, bool]] = []
            for screen, call in results:
                if screen.chat != chat:
                    continue
                buttons = [b for row in call.buttons_raw() for b in row if b.get("callback_data")]
                for button in buttons:
                    data = str(button["callback_data"])
                    if (data, call.text) in seen or skipped(data, self.walk.locale):
                        continue
                    seen.add((data, call.text))
                    # A screen's only button goes on with a flow ("skip", "done"): pressed whatever its kind.
                    fresh.append((data, str(button["text"]), call.text, len(buttons) == 1))
            fresh.sort(key=lambda item: bool(_UNDOING.search(kind_of(item[0]))))  # stable: screen order otherwise
            stack.extend(reversed(fresh))

        offer(first)
        presses = 0
        while stack and presses < MAX_PRESSES_PER_COMMAND:
            data, label, text, only = stack.pop()
            kind = ("group " if in_group else "") + kind_of(data)
            if self.presses_by_kind.get(kind, 0) >= PRESSES_PER_KIND and not only and kind_of(data) not in AGAIN:
                continue
            self.presses_by_kind[kind] = self.presses_by_kind.get(kind, 0) + 1
            presses += 1
            results = await self.press(data, label, text, in_group=in_group)
            offer(await self.run_script(kind_of(data), results, in_group=in_group))
