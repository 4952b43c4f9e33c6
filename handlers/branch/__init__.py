"""Branch leaders' tools in chat: invitation links (/invites) and linking the group chat (/linkgroup)."""

from handlers.branch.screens import HANDLERS

__all__ = ["HANDLERS"]
