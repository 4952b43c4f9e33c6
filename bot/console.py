"""The offline console: a terminal chat with the same Application and handlers, no network needed.

Type messages and commands as in Telegram. Buttons are shown as numbered choices: ``#2`` presses the
second button of the latest message that had buttons. Lines starting with ``:`` control the console.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from bot.app import _post_init, build_application
from bot.config import Settings
from bot.db import Database
from bot.i18n import N_, Translator, translator
from bot.offline import ApiCall, OfflineRequest, UpdateFactory
from handlers.core.buttons import LanguageButton
from storage import core as core_store
from storage import queries
from storage.models import Organisation, Role

# The console's own words (not the bot's): translated like everything else a person reads.
CONSOLE_HELP = N_(
    "Console commands:\n"
    "  #N                 press button N of the latest message with buttons\n"
    "  :contact [PHONE]   share your phone number (the roster's, if none given)\n"
    "  :location LAT LON  share a location\n"
    "  :photo [CAPTION]   send a photo (a sample one), with a caption if given\n"
    "  :group / :private  talk in your branch's group chat / in the private chat\n"
    "  :as MEMBER         continue as another member (id or roster number, e.g. A03)\n"
    "  :help              this help;  :quit  leave"
)
ROLE_NAMES = {
    Role.MEMBER: N_("Party member"),
    Role.COMMITTEE: N_("branch committee member"),
    Role.SECRETARY: N_("branch secretary"),
    Role.ADMIN: N_("administrator"),
}

_TAG = re.compile(r"<[^>]+>")
GUEST_ID_BASE = 900_000_000


def html_to_text(text: str) -> str:
    """Telegram HTML as terminal text: <b>bold</b> kept as **bold**, other tags dropped, entities decoded."""
    text = re.sub(r"</?b>", "**", text)
    return html.unescape(_TAG.sub("", text))


# How long a scripted console waits at most for the pushes queued so far (a loaded machine is slow).
SCRIPT_DRAIN_SECONDS = 5.0


class Console:
    """Drives the Application from a terminal (or any text stream, for tests)."""

    def __init__(
        self, settings: Settings, db: Database, *, out: TextIO | None = None, files_dir: Path = Path("console-out")
    ) -> None:
        self.settings = settings
        self.db = db
        self.out = out or sys.stdout  # looked up now, not at import: a test runner may have replaced it
        self.files_dir = files_dir
        self.request = OfflineRequest(on_call=self._show)
        self.application = build_application(
            settings, db=db, request=self.request, get_updates_request=OfflineRequest(), rate_limit=False
        )
        self.factory = UpdateFactory(self.application.bot)
        self.user_id = 0
        self.user_name = "User"
        self.phone: str | None = None
        self.group_chat_id: int | None = None
        self.in_group = False
        self.buttons: list[tuple[str, str]] = []
        self.names: dict[int, str] = {}
        self.locale = settings.DEFAULT_LOCALE  # the person at the keyboard's language, once known
        self._files = 0

    @property
    def tr(self) -> Translator:
        """Gettext for the console's own lines."""
        return translator(self.locale)

    def _print(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def _show(self, call: ApiCall) -> None:
        """Print what the bot sends, saying to whom when it is not the current chat."""
        if call.method in ("getMe", "setMyCommands", "deleteMyCommands", "answerCallbackQuery") and not call.text:
            return
        current = self.group_chat_id if self.in_group else self.user_id
        # Alerts (answerCallbackQuery) name no chat: they pop up in front of the person at the keyboard.
        where = "" if call.chat_id in (current, None) else f"[→ {self.names.get(call.chat_id or 0, call.chat_id)}] "
        media = call.params.get("media") or []
        media = [media] if isinstance(media, dict) else media  # editMessageMedia sends one item, not a list
        captions = [item.get("caption", "") for item in media if isinstance(item, dict)]
        for number, (name, content) in enumerate(call.files.items()):
            self._files += 1
            self.files_dir.mkdir(parents=True, exist_ok=True)
            suffix = ".png" if content[:4] == b"\x89PNG" else ".bin"
            path = self.files_dir / f"{self._files:03d}-{name}{suffix}"
            path.write_bytes(content)
            caption = f" {captions[number]}" if number < len(captions) else ""
            saved = self.tr.gettext("[image saved to %(path)s]", path=str(path))
            self._print(f"bot> {where}{saved}{caption}")
        if call.text:
            prefix = "bot (edited)>" if call.method.startswith("edit") else "bot>"
            self._print(f"{prefix} {where}{html_to_text(call.text)}")
        if call.buttons and call.chat_id == current:
            self.buttons = call.buttons
            self._print("     " + "  ".join(f"[{i}] {label}" for i, (label, _) in enumerate(call.buttons, 1)))

    async def act_as(self, who: str) -> bool:
        """Switch the person at the keyboard; an unbound member acts as a guest."""
        async with self.db.session() as session:
            member = await queries.member_by_ref(session, who)
            if member is None:
                self._print(self.tr.gettext("No member %(who)s. Try a roster number such as A01.", who=repr(who)))
                return False
            branch = await session.get(Organisation, member.org_id)
            self.names.update(await core_store.bound_member_names(session))
        self.user_name = member.name
        self.phone = member.phone
        self.user_id = member.telegram_id or GUEST_ID_BASE + member.id
        self.group_chat_id = branch.chat_id if branch and branch.chat_id else -(1_000_000_000_000 + member.org_id)
        self.in_group = False
        self.locale = member.language or self.settings.DEFAULT_LOCALE
        tr = self.tr
        role = tr.gettext(ROLE_NAMES.get(Role(member.role), member.role))
        if member.telegram_id:
            self._print(
                tr.gettext(
                    "You are %(name)s (%(role)s). Type :help for the console's commands.", name=member.name, role=role
                )
            )
        else:
            self._print(
                tr.gettext(
                    "You are %(name)s (%(role)s), not bound to Telegram yet: you are a guest until you open an "
                    "invitation link. Type :help for the console's commands.",
                    name=member.name,
                    role=role,
                )
            )
        return True

    async def handle_line(self, line: str) -> bool:
        """Process one input line; False when the user wants to leave."""
        line = line.strip()
        if not line:
            return True
        # The person's Telegram app speaks the configured default language (DEFAULT_LOCALE=en: an English phone).
        app_language = "en" if self.settings.DEFAULT_LOCALE == "en" else "zh-hans"
        kwargs: dict[str, Any] = {"first_name": self.user_name, "language_code": app_language}
        chat = self.group_chat_id if self.in_group else None
        if line.startswith("#") and line[1:].isdigit():
            index = int(line[1:]) - 1
            if not 0 <= index < len(self.buttons):
                self._print(self.tr.gettext("No such button."))
                return True
            _label, data = self.buttons[index]
            if data.startswith("http"):
                self._print(self.tr.gettext("(a link: %(url)s)", url=data))
                return True
            await self.application.process_update(self.factory.callback(self.user_id, data, chat_id=chat, **kwargs))
            if LanguageButton.try_parse(data) is not None:  # the person chose a language: the console follows
                async with self.db.session() as session:
                    member = await core_store.member_by_telegram_id_any(session, self.user_id)
                self.locale = (member.language if member else None) or self.locale
            return True
        if line.startswith(":"):
            return await self._console_command(line, chat, kwargs)
        await self.application.process_update(self.factory.message(self.user_id, line, chat_id=chat, **kwargs))
        return True

    async def _console_command(self, line: str, chat: int | None, kwargs: dict[str, Any]) -> bool:
        word, _, rest = line[1:].partition(" ")
        if word in ("quit", "exit", "q"):
            return False
        tr = self.tr
        if word == "help":
            self._print(tr.gettext(CONSOLE_HELP))
        elif word == "group":
            self.in_group = True
            self._print(tr.gettext("(now in the branch group chat %(chat)s)", chat=self.group_chat_id))
        elif word == "private":
            self.in_group = False
            self._print(tr.gettext("(now in your private chat with the bot)"))
        elif word == "as":
            await self.act_as(rest.strip())
        elif word == "contact":
            update = self.factory.contact(self.user_id, rest.strip() or self.phone or "", **kwargs)
            await self.application.process_update(update)
        elif word == "location":
            try:
                lat, lon = (float(x) for x in rest.split())
            except ValueError:
                self._print(tr.gettext("Usage: :location LAT LON"))
                return True
            await self.application.process_update(self.factory.location(self.user_id, lat, lon, chat_id=chat, **kwargs))
        elif word == "photo":
            await self.application.process_update(
                self.factory.photo(self.user_id, caption=rest or None, chat_id=chat, **kwargs)
            )
        else:
            self._print(tr.gettext("Unknown console command :%(word)s.", word=word) + "\n" + tr.gettext(CONSOLE_HELP))
        return True

    async def _settle(self) -> None:
        """Send the pushes queued so far (a script's next line waits for them): drain until a round sends nothing,
        for at most SCRIPT_DRAIN_SECONDS (a round can end early on rows its chat's limit holds back)."""
        worker = self.application.bot_data["resources"].worker
        deadline = time.monotonic() + SCRIPT_DRAIN_SECONDS
        while time.monotonic() < deadline and await worker.drain(budget_seconds=deadline - time.monotonic()):
            pass

    async def run(self, who: str, lines: TextIO | None = None) -> None:
        """Start the Application offline and chat until end of input or ``:quit``."""
        app = self.application
        await app.initialize()
        await _post_init(app)
        await app.start()
        try:
            if not await self.act_as(who):
                return
            loop = asyncio.get_running_loop()
            source = lines or sys.stdin
            interactive = lines is None and sys.stdin.isatty()
            while True:
                if not interactive and app.bot_data["resources"].worker is not None:
                    # A script reads on at once: let the pushes queued so far go out first, so "#1" presses a
                    # button of the screen the script saw rather than whichever message the sender reached last.
                    # The budget only bounds a busy machine: the drain ends as soon as nothing is due.
                    await self._settle()
                if interactive:
                    self.out.write("you> ")
                    self.out.flush()
                line = await loop.run_in_executor(None, source.readline)
                if not line:
                    break
                if not interactive:
                    self._print(f"you> {line.rstrip()}")
                if not await self.handle_line(line):
                    break
            if app.bot_data["resources"].worker is not None:  # let pushes queued by the last lines go out
                await self._settle()
        finally:
            await app.stop()
            await app.shutdown()
