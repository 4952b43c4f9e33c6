"""Core in chat: joining with an invitation link, /start, /help, /lang, /cancel."""

from handlers.core.screens import FALLBACK_HANDLERS, HANDLERS

__all__ = ["FALLBACK_HANDLERS", "HANDLERS"]
