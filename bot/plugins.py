"""Feature modules that register themselves with shared seams (meeting hooks, jobs) when imported.

Called by the application assembly and by the command line, so every entry point sees the same features.
Add one import per feature that registers something.
"""

from __future__ import annotations

import importlib

PLUGIN_MODULES: list[str] = [
    "bot.menus",  # the nightly menu sync job
    "bot.services.first_agenda",  # closing check, meeting-card button, CLI recorder, nudge job
]


def load_plugins() -> None:
    """Import every registering module (idempotent: Python imports each once)."""
    for name in PLUGIN_MODULES:
        importlib.import_module(name)
