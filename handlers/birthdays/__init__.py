"""Political birthdays in chat: /birthdays for leaders and administrators, /mybirthday for members, the buttons.

- :mod:`.screens`: the screens (a branch's month, the counts by branch, the member's own card) and their buttons;
- :mod:`.commands`: the typed commands; :mod:`.buttons`: the pressed buttons, parsed by the codec.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.services.birthdays import BirthdayButton
from handlers.birthdays.buttons import birthday_button
from handlers.birthdays.commands import birthdays_command, my_birthday_command

HANDLERS: list[Any] = [
    CommandHandler("birthdays", birthdays_command),
    CommandHandler("mybirthday", my_birthday_command),
    CallbackQueryHandler(birthday_button, pattern=BirthdayButton.prefix_pattern()),
]

__all__ = ["HANDLERS", "birthday_button", "birthdays_command", "my_birthday_command"]
