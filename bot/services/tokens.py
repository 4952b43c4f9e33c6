"""Signed deep-link tokens for check-in (meetings ``ck_``, volunteer activities ``vk_``).

A token names what it admits to (a kind letter and an id) and, for live QR codes, a 30-second time slot,
signed with the installation's secret, so it cannot be forged or moved to another meeting. A live token
is accepted in its own slot and the one before (a scan a few seconds after rotation still works); a photo
of it sent to someone elsewhere stops working within a minute. The whole payload stays under Telegram's
64 characters of ``A-Za-z0-9_-``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
import weakref
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.i18n import N_
from storage import core as store
from storage.models import ChatState

SLOT_SECONDS = 30
STATIC_SLOT = 0  # a printed code: valid for the whole check-in window
_SIGNATURE_BYTES = 12


@dataclass(frozen=True)
class TokenClaim:
    """What a verified token says."""

    kind: str  # one letter: "m" meeting, "v" volunteer activity
    object_id: int
    slot: int  # 0 for a static token


# The secret never changes once stored: each process keeps it per database engine after the first read (one
# statement fewer on every scanned code). Only a committed secret is kept, never one this session just made.
_known_secrets: weakref.WeakKeyDictionary[object, bytes] = weakref.WeakKeyDictionary()


async def installation_secret(session: AsyncSession) -> bytes:
    """The signing secret, created once per database so every replica and restart shares it."""
    engine = session.bind
    known = _known_secrets.get(engine) if engine is not None else None
    if known is not None:
        return known
    row = await store.bot_state(session, "token_secret")
    if row is None:
        row = ChatState(scope="bot", key="token_secret", data=secrets.token_hex(32))
        session.add(row)
        await session.flush()
        session.info["made_token_secret"] = True  # not committed yet: not kept until read again
    elif engine is not None and not session.info.get("made_token_secret"):
        _known_secrets[engine] = bytes.fromhex(str(row.data))
    return bytes.fromhex(str(row.data))


def current_slot(now: float | None = None) -> int:
    """The 30-second slot number of ``now`` (epoch seconds)."""
    return int((now if now is not None else time.time()) // SLOT_SECONDS)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: bytes, kind: str, object_id: int, slot: int = STATIC_SLOT) -> str:
    """A signed token (without the deep-link prefix)."""
    body = kind.encode() + struct.pack(">QI", object_id, slot)
    signature = hmac.new(secret, body, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return _b64(body + signature)


def read_token(secret: bytes, token: str, *, kind: str, now: float | None = None) -> TokenClaim:
    """Verify ``token``; refuse forged, mangled, other-kind or expired live tokens."""
    try:
        raw = _unb64(token)
    except (ValueError, TypeError):
        raise InvalidInput(N_("This check-in code is not valid.")) from None
    if len(raw) != 1 + 12 + _SIGNATURE_BYTES:
        raise InvalidInput(N_("This check-in code is not valid."))
    body, signature = raw[:-_SIGNATURE_BYTES], raw[-_SIGNATURE_BYTES:]
    expected = hmac.new(secret, body, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected) or body[:1].decode(errors="replace") != kind:
        raise InvalidInput(N_("This check-in code is not valid."))
    object_id, slot = struct.unpack(">QI", body[1:])
    if slot != STATIC_SLOT and current_slot(now) - slot not in (0, 1):
        raise InvalidInput(N_("This check-in code has expired. Scan the code shown now at the meeting place."))
    return TokenClaim(kind, object_id, slot)
