"""The branch assistant: a Telegram bot for the everyday work of Party branches."""

import os

# Opt in to python-telegram-bot's coming timedelta attributes (RetryAfter.retry_after …) instead of
# reading deprecated integer ones; must be set before telegram is imported.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
