"""The built indexes of the measures, kept on disk between runs.

Building the Chinese index takes about a second (jieba's prefix dictionary, segmenting every sentence, the n-gram
model); loading it back takes a tenth of that, so `branchbot ask` and the bot's first answer do not pay it again.
A file is named by a digest of everything an index is built from (this package's code and data, the versions of
Python and jieba), so a change to any of them builds a new one; a file that cannot be read or written is simply
rebuilt. Where: BRANCHBOT_CACHE_DIR, else $XDG_CACHE_HOME/branchbot, else ~/.cache/branchbot;
``BRANCHBOT_CACHE_DIR=off`` keeps nothing. ``scripts/bootstrap.sh`` builds them once at installation.

Each new version of the code leaves its own file, and one file is some 25 MB: keeping a new one removes all but the
``KEEP`` newest of its language and variant (session 31 found 5.3 GB of them on a developer's machine).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
_PACKAGE = Path(__file__).resolve().parent
T = TypeVar("T")
# Files kept per language and variant: the one just built and the one before it (switching back is free).
KEEP = 2
# A file named before variants had their own names (measures-zh-<digest>.pickle): removed as stale.
_UNSORTED = re.compile(r"measures-[a-z]+-[0-9a-f]{20}\.pickle")


def cache_dir() -> Path | None:
    """Where built indexes are kept, or None when keeping them is switched off."""
    chosen = os.environ.get("BRANCHBOT_CACHE_DIR")
    if chosen:
        return None if chosen.lower() == "off" else Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(xdg) if xdg else Path.home() / ".cache") / "branchbot"
    except RuntimeError:  # no home directory (a bare service account): keep nothing
        return None


def _digest(lang: str, variant: str) -> str:
    from bot.measures.analysis import import_jieba

    h = hashlib.sha256(f"{lang} {variant} {sys.version} {import_jieba().__version__}".encode())
    for path in sorted([*_PACKAGE.glob("*.py"), *(_PACKAGE / "data").iterdir()]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def kept_index(lang: str, build: Callable[[str], T], kind: type[T], variant: str = "") -> T:
    """The index of ``lang`` (a ``kind``) as last built by ``build`` from the same code and data (and ``variant``:
    the parts switched off), or built now and kept."""
    folder = cache_dir()
    if folder is None:
        return build(lang)
    # The variant in the name, so that keeping an ablation's index never removes the shipped one's.
    kind_of_file = f"measures-{lang}-{hashlib.sha256(variant.encode()).hexdigest()[:8] if variant else 'full'}-"
    path = folder / f"{kind_of_file}{_digest(lang, variant)}.pickle"
    try:
        with path.open("rb") as stored:
            kept = pickle.load(stored)  # our own file, in the user's own cache directory
        if isinstance(kept, kind):
            return kept
    except FileNotFoundError:
        pass
    except Exception:  # a truncated or foreign file: build anew and replace it
        log.warning("could not read the measures' index from %s; building it", path, exc_info=True)
    index = build(lang)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=path.name, suffix=".tmp", delete=False) as new:
            pickle.dump(index, new, protocol=pickle.HIGHEST_PROTOCOL)
        Path(new.name).replace(path)  # whole or not at all, whichever process writes last
    except OSError:
        log.warning("could not keep the measures' index in %s", folder, exc_info=True)
        return index
    _prune(folder, kind_of_file)
    return index


def _prune(folder: Path, kind_of_file: str) -> None:
    """Remove all but the ``KEEP`` newest files named ``kind_of_file``…, and files named the old way."""
    try:
        same = sorted(folder.glob(f"{kind_of_file}*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        stale = same[KEEP:] + [p for p in folder.glob("measures-*.pickle") if _UNSORTED.fullmatch(p.name)]
        for old in stale:
            old.unlink(missing_ok=True)
    except OSError:  # another process removed it first, or the folder is read-only: nothing lost
        log.debug("could not prune the measures' kept indexes in %s", folder, exc_info=True)


def release_freed_memory() -> None:
    """Give back to the system the memory that loading the indexes used and freed.

    Unpickling a kept index makes some 5 MB of temporaries. glibc keeps what they freed in the process's heap, where
    the bot's RSS counts it for the rest of its life; ``malloc_trim`` returns it (4–5 MB measured). Elsewhere (musl,
    macOS) there is no such call and nothing to do.
    """
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
