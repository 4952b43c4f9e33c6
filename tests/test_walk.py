"""Issue 12's scripted walk: every command and every button, as a secretary, a member and an administrator, in
Chinese and in English, each screen stored in a golden transcript (tests/golden/walk/), and the checks of what
those screens show: no database id, every declared button reached, Chinese copy and phone width.

Run: ``.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_walk.py``. After a change of copy, regenerate
the transcripts with ``UPDATE_GOLDEN=1`` (same command) and read the diff in git before committing it.

The walk runs on SQLite only (what people see does not depend on the backend; the other tests cover
PostgreSQL). Its database hands out ids from 70001 so that an id on a screen stands out.

The allowlists (tests/walk/allowlists.py) name the screens that still fail a check today, each with its reason.
They only shrink: a test fails when an allowlisted screen passes, so whoever fixes it also strikes it off.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.callbacks import registry
from tests.walk import allowlists, copy_lint
from tests.walk.run import WALKS, Walks
from tests.walk.walker import Screen, Walk

GOLDEN = Path(__file__).parent / "golden" / "walk"
MAX_DIFF_LINES = 300


@pytest.fixture(scope="module")
def walker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Walks:
    """The walks; all of them at once (side by side) unless one golden transcript alone was asked for (-k)."""
    walks = Walks(tmp_path_factory.mktemp("walk"))
    selected = [item for item in request.session.items if item.module is request.module]
    if len(selected) > 1:
        walks.all()
    return walks


@pytest.fixture(scope="module")
def walks(walker: Walks) -> dict[tuple[str, str], Walk]:
    """Every walk (the checks over all screens need them all)."""
    return walker.all()


def _golden_path(role: str, locale: str) -> Path:
    return GOLDEN / f"{role}.{locale}.txt"


@pytest.mark.parametrize(("role", "locale"), WALKS, ids=[f"{r}-{loc}" for r, loc in WALKS])
def test_the_walk_matches_its_golden_transcript(walker: Walks, role: str, locale: str) -> None:
    walk = walker.get(role, locale)
    text = "\n".join(walk.transcript).rstrip("\n") + "\n"
    path = _golden_path(role, locale)
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), text.splitlines(), f"golden/{path.name}", "this walk", lineterm="", n=2
        )
        lines = list(diff)
        shown = "\n".join(lines[:MAX_DIFF_LINES])
        more = f"\n… and {len(lines) - MAX_DIFF_LINES} more lines" if len(lines) > MAX_DIFF_LINES else ""
        pytest.fail(
            "The walk's screens changed (run with UPDATE_GOLDEN=1 if that is intended):\n" + shown + more,
            pytrace=False,
        )


def test_the_walk_reaches_something_in_each_language(walks: dict[tuple[str, str], Walk]) -> None:
    for (role, locale), walk in walks.items():
        assert len(walk.screens) > 50, (role, locale, len(walk.screens))
        assert len(walk.pressed) > 20, (role, locale, len(walk.pressed))


# -- checks over every screen with a shrink-only allowlist ------------------------------------------------------


def _offenders(
    walks: dict[tuple[str, str], Walk], check: Callable[[Screen], object], locales: tuple[str, ...] = ("zh_CN", "en")
) -> dict[str, str]:
    """Screen key → the first offence found (its example), over the walks in ``locales``."""
    found: dict[str, str] = {}
    for (_role, locale), walk in walks.items():
        if locale not in locales:
            continue
        for screen in walk.screens:
            offence = check(screen)
            if offence and screen.key not in found:
                found[screen.key] = f"{screen.chat}: {offence}"
    return found


def _compare(name: str, offenders: dict[str, str], allowed: dict[str, str]) -> None:
    new = {key: example for key, example in offenders.items() if key not in allowed}
    stale = sorted(key for key in allowed if key not in offenders)
    message = []
    if new:
        message.append(f"{name}: screens that fail (fix the copy; do not add to the allowlist):")
        message += [f"  {key!r}: {example}" for key, example in sorted(new.items())]
    if stale:
        message.append(f"{name}: allowlisted screens that pass now (strike them off tests/walk/allowlists.py):")
        message += [f"  {key!r}" for key in stale]
    assert not message, "\n".join(message)


def test_no_screen_shows_a_database_id(walks: dict[tuple[str, str], Walk]) -> None:
    def check(screen: Screen) -> object:
        return copy_lint.database_ids(_shown(screen))

    _compare("database ids", _offenders(walks, check), allowlists.DATABASE_IDS)


def _shown(screen: Screen) -> str:
    """The screen's text and its button labels, one a line (a label is read on its own)."""
    return "\n".join([screen.text, *(label for row in screen.buttons for label in row)])


def test_chinese_screens_use_full_width_punctuation(walks: dict[tuple[str, str], Walk]) -> None:
    offenders = _offenders(walks, lambda s: copy_lint.half_width_punctuation(_shown(s)), ("zh_CN",))
    _compare("half-width punctuation", offenders, allowlists.PUNCTUATION)


def test_chinese_screens_have_no_stray_spaces(walks: dict[tuple[str, str], Walk]) -> None:
    offenders = _offenders(walks, lambda s: copy_lint.stray_spaces(_shown(s)), ("zh_CN",))
    _compare("spaces in Chinese", offenders, allowlists.SPACES)


def test_chinese_screens_have_no_english_words(walks: dict[tuple[str, str], Walk]) -> None:
    offenders = _offenders(walks, lambda s: copy_lint.english_words(_shown(s)), ("zh_CN",))
    _compare("English in Chinese screens", offenders, allowlists.ENGLISH)


def test_chinese_screens_fit_a_phone(walks: dict[tuple[str, str], Walk]) -> None:
    def wide(screen: Screen) -> object:
        if screen.key in allowlists.FULL_TEXTS:
            return None
        return [line[:20] for line in copy_lint.wide_lines(_shown(screen))]

    def long(screen: Screen) -> object:
        if screen.key in allowlists.FULL_TEXTS:
            return None
        extra = copy_lint.too_many_lines(screen.text)
        return f"{extra} lines too many" if extra else None

    _compare("lines over 30 characters", _offenders(walks, wide, ("zh_CN",)), allowlists.WIDE_LINES)
    _compare("messages over 20 lines", _offenders(walks, long, ("zh_CN",)), allowlists.LONG_MESSAGES)


# -- every declared button is reached ---------------------------------------------------------------------------


def unreached_buttons(walks: dict[tuple[str, str], Walk]) -> tuple[set[str], set[str]]:
    """Every declared button (each codec class by its prefix, each pattern a button handler registered), and
    those no walk pressed."""
    pressed = {data for walk in walks.values() for data in walk.pressed}
    # The application's own kinds: test modules declare throwaway kinds in the same registry (tests/test_callbacks.py).
    kinds = {prefix: kind for prefix, kind in registry().items() if not kind.__module__.startswith("tests.")}
    declared = {f"codec {prefix}" for prefix in kinds}
    unreached = {
        f"codec {prefix}"
        for prefix, kind in kinds.items()
        if not any(re.search(kind.prefix_pattern(), d) for d in pressed)
    }
    patterns = {p for walk in walks.values() for p in walk.patterns}
    reached = {p for walk in walks.values() for p in walk.reached}
    declared |= {f"pattern {p}" for p in patterns}
    unreached |= {f"pattern {p}" for p in patterns - reached}
    return declared, unreached


def test_every_declared_button_is_reached_by_the_walk(walks: dict[tuple[str, str], Walk]) -> None:
    _declared, unreached = unreached_buttons(walks)
    _compare("buttons the walk never pressed", dict.fromkeys(unreached, ""), allowlists.UNREACHED_BUTTONS)
