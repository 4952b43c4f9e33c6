"""Signed check-in tokens and distances."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.services.geo import distance_m
from bot.services.tokens import SLOT_SECONDS, current_slot, make_token, read_token

SECRET = b"s" * 32


def test_static_token_round_trip_and_fits_a_deep_link() -> None:
    token = make_token(SECRET, "m", 12345)
    claim = read_token(SECRET, token, kind="m")
    assert (claim.kind, claim.object_id, claim.slot) == ("m", 12345, 0)
    assert len("ck_" + token) <= 64
    assert all(c.isalnum() or c in "_-" for c in token)


def test_forged_other_kind_and_mangled_tokens_are_refused() -> None:
    token = make_token(SECRET, "m", 7)
    with pytest.raises(InvalidInput):
        read_token(b"x" * 32, token, kind="m")  # signed with another secret
    with pytest.raises(InvalidInput):
        read_token(SECRET, token, kind="v")  # a meeting token used for an activity
    with pytest.raises(InvalidInput):
        read_token(SECRET, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), kind="m")
    with pytest.raises(InvalidInput):
        read_token(SECRET, "!!!", kind="m")


def test_live_token_rotates_and_expires_after_one_slot() -> None:
    now = 1_800_000_000.0
    slot = current_slot(now)
    token = make_token(SECRET, "m", 7, slot)
    assert read_token(SECRET, token, kind="m", now=now).slot == slot
    assert read_token(SECRET, token, kind="m", now=now + SLOT_SECONDS).slot == slot  # grace: the next slot
    with pytest.raises(InvalidInput, match="expired"):
        read_token(SECRET, token, kind="m", now=now + 2 * SLOT_SECONDS)


def test_distance() -> None:
    # Dongguan city hall to a point about 1.1 km north.
    assert distance_m(23.0207, 113.7518, 23.0307, 113.7518) == pytest.approx(1112, rel=0.01)
    assert distance_m(23.0, 113.0, 23.0, 113.0) == 0
