"""The branch assistant: a Telegram bot for the everyday work of Party branches."""

__version__ = "0.1.0"
