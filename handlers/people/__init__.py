"""People in chat: a leader unbinds a lost phone (/unbind) and reads the audit log (/audit)."""

from handlers.people.screens import HANDLERS

__all__ = ["HANDLERS"]
