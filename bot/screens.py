"""Private screens (issue 11 item 1): a screen declares itself private; the send boundary enforces it.

A screen that shows other members' names, leave reasons, phones or records is for a leader's PRIVATE chat, and
a member's own records (/my, /myservice) for the member's.
The screen says so itself -- a template whose first line is ``{# private: <why> #}`` renders as
:class:`PrivateText`, and text built in code is wrapped with :func:`private` -- so no handler has to
check the chat type. The send boundary (``bot.outgoing``) refuses to send or edit a ``PrivateText`` into a
group or supergroup and offers a button that opens the private chat instead.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PRIVATE_MARKER", "PrivateText", "is_private", "private", "private_reason"]

# The first line of a private template: {# private: why #}
PRIVATE_MARKER = re.compile(r"\A\s*\{#-?\s*private\s*:\s*(?P<why>.*?)\s*-?#\}")


class PrivateText(str):
    """A screen for a private chat only. A ``str``, so it renders, compares and sends like one.

    Privacy is contagious through ``+``: ``private(a) + b`` and ``a + private(b)`` stay private. Other ``str``
    operations (``format``, ``join``, slicing) return plain ``str``: wrap the final text again with
    :func:`private` when composing a screen from pieces.
    """

    reason: str

    def __new__(cls, value: object = "", reason: str = "") -> PrivateText:
        obj = super().__new__(cls, value)
        obj.reason = reason or getattr(value, "reason", "")
        return obj

    def __add__(self, other: str) -> PrivateText:
        return PrivateText(str.__add__(self, other), self.reason)

    def __radd__(self, other: str) -> PrivateText:
        return PrivateText(str.__add__(other, self), self.reason)

    def __reduce__(self) -> tuple[Any, ...]:
        return (PrivateText, (str(self), self.reason))


def private(text: str, reason: str = "") -> PrivateText:
    """Mark ``text`` as a private screen (``reason``: why, for logs and reviewers)."""
    if isinstance(text, PrivateText) and not reason:
        return text
    return PrivateText(text, reason)


def is_private(text: object) -> bool:
    """Whether ``text`` is a screen for a private chat only."""
    return isinstance(text, PrivateText)


def private_reason(source: str) -> str | None:
    """The ``why`` of a template source whose first line is ``{# private: why #}``; None if not private."""
    match = PRIVATE_MARKER.match(source)
    return match.group("why") if match else None
