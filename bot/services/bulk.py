"""Helpers for the few places that build a city's worth of small objects at once (points, ledgers).

Python's cyclic garbage collector runs a full collection whenever enough new container objects have survived;
building 30,000 members' results (hundreds of thousands of small objects, none of them in a cycle) set off about
twenty full collections, each walking every object of the process — a third of the city's points report. These
objects are freed by reference counting alone, so the collector is paused while they are built. The pause is
process-wide: held across an ``await`` (reading a city's ledger), other tasks merely run without cycle collection
for those seconds, and nothing is lost — the collector resumes at the end of the block.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (reference counting still frees everything)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
