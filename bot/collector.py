"""The cyclic garbage collector during start-up: paused, then the start-up's objects set aside for good.

Starting the bot imports about a thousand modules and builds some 200,000 objects that live as long as the
process (classes, functions, mappers, handlers). While they are built, the collector runs some 300 collections,
full ones among them, each walking everything built so far — a quarter of the imports' CPU, about an eighth of
``branchbot run``'s until its first getUpdates — and finds almost nothing (about 700 objects of garbage in
cycles). So ``branchbot`` pauses it from its first import
until the bot is assembled, then freezes what exists (``gc.freeze``: the later collections skip those objects,
which also makes every full collection of the running bot cheaper) and resumes it. Only a process whose entry
point paused it resumes it here; an importer (the tests) keeps its collector as it was.
"""

from __future__ import annotations

import gc

_paused_here = False


def pause_for_start_up() -> None:
    """Pause the collector (the entry point, before its first import)."""
    global _paused_here
    if gc.isenabled():
        gc.disable()
        _paused_here = True


def start_up_done() -> None:
    """The process is assembled: freeze what exists and resume the collector, if :func:`pause_for_start_up` paused
    it (otherwise nothing)."""
    global _paused_here
    if _paused_here:
        _paused_here = False
        gc.freeze()
        gc.enable()
