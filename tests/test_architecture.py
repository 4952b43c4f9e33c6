"""The shape of the code, enforced: no import cycle, layers that only look down, the registry as the one place a
feature is wired, modules of a readable size, queries in storage/, one spelling per feature.

The allowlists name what is still out of shape today, each with its reason. They only shrink: a test fails
when an allowlisted module is back in shape, so that whoever fixes it also strikes it off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import grimp

from bot import features
from bot.feature import Slot

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")

# ---------------------------------------------------------------------------------------------------------------
# The import graph


@cache
def graph() -> grimp.ImportGraph:
    """Imports among our packages (and what they take from outside). Imports under ``if TYPE_CHECKING:`` are left
    out: they never run, and type hints may point upwards (a job's callback takes the context type)."""
    return grimp.build_graph(
        *PACKAGES, include_external_packages=True, exclude_type_checking_imports=True, cache_dir=None
    )


def ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def imports_of(module: str) -> set[str]:
    return graph().find_modules_directly_imported_by(module)


def cycles() -> list[list[str]]:
    """The import cycles among our modules: strongly connected components of more than one module (Tarjan)."""
    modules = sorted(m for m in graph().modules if ours(m))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(m for m in imports_of(module) if ours(m)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1 or module in imports_of(module):
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle() -> None:
    assert cycles() == [], "import cycles (break them; see README, Architecture)"


# The entry points: they assemble the bot from the registry, so they may import every layer. Nothing imports them.
ENTRY_POINTS = ("bot.__main__", "bot.app", "bot.features", "bot.cli", "bot.console", "bot.demo")
# The scheduled jobs sit beside the handlers: they talk to Telegram (the live QR redraws a photo with the
# handlers' rendering), and only the registry imports them.
TELEGRAM_LAYER = ("handlers", "bot.jobs")


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {imported}"
        for module in graph().modules
        if ours(module) and _within(module, importers)
        for imported in imports_of(module)
        if _within(imported, forbidden)
    )


def test_storage_imports_neither_bot_nor_handlers() -> None:
    assert _violations(("storage",), ("bot", "handlers")) == []


def test_services_know_nothing_of_telegram_nor_of_the_layers_above() -> None:
    above = ("telegram", "handlers", *ENTRY_POINTS, "bot.jobs", "bot.context", "bot.menus", "bot.resources")
    assert _violations(("bot.services",), above) == []


def _all_but(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """Our modules outside ``prefixes``, each named in full (so that ``bot`` itself does not stand for all of bot)."""
    return tuple(m for m in graph().modules if ours(m) and "." in m and not _within(m, prefixes))


def test_only_the_entry_points_and_the_telegram_layer_import_handlers() -> None:
    assert _violations(_all_but(("handlers", *ENTRY_POINTS, "bot.jobs")), ("handlers",)) == []


def test_nothing_imports_the_entry_points() -> None:
    """Only the entry points import one another (the console builds the application; the CLI opens the console)."""
    assert _violations(_all_but(ENTRY_POINTS), ENTRY_POINTS) == []


# ---------------------------------------------------------------------------------------------------------------
# The registry


def test_features_are_named_once_and_their_templates_and_catalogs_exist() -> None:
    names = [feature.name for feature in features.FEATURES]
    assert len(names) == len(set(names))
    for feature in features.FEATURES:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", feature.name), feature.name
        if feature.templates is not None:
            assert (ROOT / "bot" / "templates" / feature.templates).is_dir(), feature.name
        if feature.catalog is not None:
            for language in ("zh_CN", "en"):
                assert (ROOT / "locales" / language / "LC_MESSAGES" / f"{feature.catalog}.po").is_file()


def test_every_handler_group_has_its_place_in_the_order() -> None:
    declared = {(f.name, slot) for f in features.FEATURES for slot in f.handlers()}
    assert declared == set(features.HANDLER_ORDER)
    assert len(features.HANDLER_ORDER) == len(set(features.HANDLER_ORDER))


def test_the_handlers_are_tried_in_the_order_they_always_were() -> None:
    from handlers import birthdays, branch, core, first_agenda, ledger, measures, meetings, people, points, volunteer

    expected = [
        measures.EDITED_HANDLERS,  # an edited question, in its pre-check group ahead of every flow
        volunteer.START_HANDLERS,  # /start vk_… before the plain /start
        meetings.HANDLERS,  # /start ck_… before the plain /start
        core.HANDLERS,
        branch.HANDLERS,
        birthdays.HANDLERS,
        first_agenda.HANDLERS,
        measures.HANDLERS,
        volunteer.HANDLERS,
        ledger.HANDLERS,
        points.HANDLERS,
        people.HANDLERS,
        core.FALLBACK_HANDLERS,
        measures.FREE_TEXT_HANDLERS,  # plain text nobody else took
    ]
    assert [list(group) for _slot, group in features.handler_groups()] == [list(group) for group in expected]
    assert features.HANDLER_ORDER[-1] == ("measures", Slot.FREE_TEXT)


def test_the_menu_keeps_its_order() -> None:
    names = [name for name, _ in features.menu().commands_for("admin", "zh_CN")]
    assert names == [
        *("start", "help", "ask", "measures", "measure", "invites", "linkgroup", "mybirthday", "birthdays"),
        *("my", "checkin", "meetings", "newmeeting", "compliance", "attendance"),
        *("firstagenda", "materials", "addmaterial"),
        *("community", "activities", "report", "myservice", "activity_new", "service"),
        *("ledger", "charts", "digest"),
        *("points", "stars"),
        "audit",  # /unbind is for a branch's leaders, not administrators
        *("lang", "cancel"),
    ]


def test_jobs_have_one_id_each() -> None:
    ids = [job.id for job in features.jobs()]
    assert len(ids) == len(set(ids))
    assert {"menus-sync", "measures-warm-up", "birthdays-daily", "first-agenda-nudge", "volunteer-reminders"} <= set(
        ids
    )


def test_nothing_registers_itself_when_imported() -> None:
    """Wiring lives in bot/features.py: no module-level list that others append to, no importlib loading."""
    offenders = []
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*\w*JOBS\.(append|extend)\(|importlib\.import_module\(", text, re.MULTILINE):
            offenders.append(relative(path))
    assert offenders == []


# ---------------------------------------------------------------------------------------------------------------
# Files


def python_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def shrink_only(found: dict[str, object], allowed: dict[str, str], what: str) -> None:
    """Nothing out of shape beyond the allowlist, and nothing on the allowlist that is back in shape."""
    new = sorted(set(found) - set(allowed))
    fixed = sorted(set(allowed) - set(found))
    assert new == [], f"{what}: {new}"
    assert fixed == [], f"back in shape, strike off the allowlist: {fixed}"


MAX_LINES = 600
# Modules still over the cap, and why; each shrinks when its feature is split into a package (issue 10, item 2).
OVER_THE_CAP = {}


def test_no_module_is_over_the_line_cap() -> None:
    lengths = {relative(p): len(p.read_text(encoding="utf-8").splitlines()) for p in python_files()}
    shrink_only({p: n for p, n in lengths.items() if n > MAX_LINES}, OVER_THE_CAP, f"modules over {MAX_LINES} lines")


# Modules that still build SQL themselves; queries belong in storage/<feature>.py (issue 10, item 3).
QUERIES_OUTSIDE_STORAGE = {}


def test_no_query_outside_storage() -> None:
    found = {
        relative(p): True
        for p in python_files()
        if not relative(p).startswith("storage/") and re.search(r"\bselect\(", p.read_text(encoding="utf-8"))
    }
    shrink_only(found, QUERIES_OUTSIDE_STORAGE, "modules with select( outside storage/")


# ---------------------------------------------------------------------------------------------------------------
# One spelling per feature

# Where a feature's name appears as a module, package, directory or catalog.
NAMED_PLACES = (
    "handlers",
    "bot/services",
    "bot/cli",
    "bot/jobs",
    "storage",
    "bot/templates",
    "locales/zh_CN/LC_MESSAGES",
    "locales/en/LC_MESSAGES",
)
# Names still spelt another way, and why.
MISSPELT = {}


def other_spellings(name: str) -> set[str]:
    """What a feature's name must not be spelt as: run together, hyphenated, or singular for a plural name."""
    words = name.split("_")
    spellings = {"".join(words), "-".join(words), "".join(w.capitalize() for w in words).lower()}
    if name.endswith("s"):
        spellings.add(name[:-1])
    return spellings - {name}


def misspelt(stem: str) -> bool:
    """Whether a file or directory name spells a feature's name another way (``firstagenda_cli``, ``meeting_x``)."""
    stem = stem.lower()
    for feature in features.FEATURES:
        if stem == feature.name or stem.startswith(feature.name + "_"):
            return False
    return any(
        stem == other or re.match(rf"{re.escape(other)}[_\-.]", stem)
        for feature in features.FEATURES
        for other in other_spellings(feature.name)
    )


def test_one_spelling_of_each_feature_name() -> None:
    found: dict[str, object] = {}
    for place in NAMED_PLACES:
        for path in (ROOT / place).iterdir():  # the feature's own entry; inside it, names are its own business
            if path.name in ("__pycache__", "migrations"):
                continue
            if misspelt(path.stem if path.is_file() else path.name):
                found[relative(path)] = True
    # Identifiers too (a variable, function or module alias), except where the user-facing command is spelt so
    # (/firstagenda and `branchbot firstagenda`: names people type, kept for compatibility).
    for path in python_files():
        for identifier in set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", _code_without_strings(path))):
            if any(
                identifier == other or identifier.startswith(other + "_")  # FirstAgenda (a class) is spelt right
                for feature in features.FEATURES
                for other in other_spellings(feature.name)
                if "_" in feature.name  # singular nouns (meeting, birthday) are ordinary words in code
            ):
                found[f"{relative(path)}: {identifier}"] = True
    shrink_only(found, MISSPELT, "feature names spelt another way")


def _code_without_strings(path: Path) -> str:
    """The module's code with string literals and comments removed (so command names and prose are not read)."""
    import tokenize

    kept = []
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type not in (tokenize.STRING, tokenize.COMMENT, tokenize.ENCODING):
                kept.append(token.string)
    return " ".join(kept)


# ---------------------------------------------------------------------------------------------------------------
# One parser, one environment, one notifier (issue 10, items 5–7)


def _files_matching(pattern: str, *, under: tuple[str, ...] = ("",), but: tuple[str, ...] = ()) -> dict[str, object]:
    """The modules under ``under`` (not those in ``but``) whose code, strings and comments left out, matches."""
    found: dict[str, object] = {}
    for path in python_files():
        name = relative(path)
        if name.startswith(under) and name not in but and re.search(pattern, _code_without_strings(path)):
            found[name] = True
    return found


# Dates, times and periods people type are read by bot/dates.py; what is left reads a value the program itself
# wrote (a flow's state, a button, its own JSON, a setting, a data file), never what a person typed.
DATES_READ_ELSEWHERE = {
    "bot/environment.py": "WORK_HOURS, a setting whose shape the settings check",
    "bot/measures/knowledge.py": "dates of the shipped measures data file",
    "bot/cli/meetings.py": "the meeting's own JSON (starts_at, ends_at) written a line above",
    "bot/services/meetings/buttons.py": "a day the bot packed into its own button",
    "handlers/first_agenda/materials.py": "the flow's state: the day bot.dates read at the step before",
    "handlers/meetings/flows.py": "the flow's state: the day and times chosen on buttons",
    "handlers/volunteer/self_report.py": "the flow's state: the day and times bot.dates read at the steps before",
    "handlers/volunteer/posting.py": "the flow's state: the start and end bot.dates read at the step before",
}


def test_dates_people_type_are_read_by_the_one_parser() -> None:
    found = _files_matching(r"\bstrptime\b|\bfromisoformat\b", but=("bot/dates.py",), under=("bot/", "handlers/"))
    shrink_only(found, DATES_READ_ELSEWHERE, "modules reading dates outside bot/dates.py")


# Where a ServiceEnv is built: the running bot's resources, the command line's helper, and the model itself.
ENV_BUILT_ELSEWHERE: dict[str, str] = {}


def test_the_service_environment_is_built_in_one_place_per_entry_point() -> None:
    found = _files_matching(
        r"\bServiceEnv\s*\(|\bServiceEnv\s*\.\s*from_settings\b",
        under=("bot/", "handlers/", "storage/"),
        but=("bot/environment.py", "bot/resources.py", "bot/cli/common.py"),
    )
    shrink_only(found, ENV_BUILT_ELSEWHERE, "modules building their own ServiceEnv")


def test_no_time_zone_but_the_environments() -> None:
    # Services, handlers, jobs and commands take the zone from the env (Resources.env, cli_env), not the settings.
    found = _files_matching(
        r"\bsettings\s*\.\s*tz\b|\bDEFAULT_TZ\b", under=("bot/services/", "bot/jobs/", "bot/cli/", "handlers/")
    )
    shrink_only(found, {}, "modules reading the time zone from the settings or a default")


# Per-member notices go through bot/services/notifier.py (each person's language, a per-person dedup key).
ENQUEUED_ELSEWHERE = {
    "bot/services/meetings/notices.py": "the branch group chat's notice and check-in button: a chat, not a member",
    "bot/menus.py": "each member's command menu (setMyCommands), not a notice",
    "bot/outbox_worker.py": "the send boundary's own note to the leaders when a member cannot be reached",
}


def test_notices_go_through_the_notifier() -> None:
    found = _files_matching(
        r"\boutbox\s*\.\s*enqueue\b|\bimport\b[^;]*\benqueue\b",
        but=("bot/services/notifier.py", "bot/services/outbox.py"),
    )
    shrink_only(found, ENQUEUED_ELSEWHERE, "modules queuing outbox rows themselves")
