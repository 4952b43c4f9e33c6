"""Maintain the gettext catalogs: one catalog (domain) per feature, in every locale.

    python scripts/i18n.py extract     # refresh locales/<domain>.pot and merge into each locale's .po
    python scripts/i18n.py compile     # write the .mo files the bot loads
    python scripts/i18n.py check       # list zh_CN messages still untranslated (exit 1 if any)
    python scripts/i18n.py fill zh_CN DOMAIN FILE.json   # set translations from {"msgid": "译文"}

Message ids are English; zh_CN must translate every one; en may leave them empty (the id is English).
Add a feature's files to DOMAINS when you create them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
LANGUAGES = ("zh_CN", "en")

# domain → glob patterns (relative to the repository root) of the files whose messages it holds
DOMAINS: dict[str, list[str]] = {
    "core": [
        "bot/*.py",
        "bot/cli/__init__.py",
        "bot/cli/common.py",
        "bot/cli/ops.py",
        "bot/jobs/__init__.py",
        "bot/services/access.py",
        "bot/services/notifier.py",
        "bot/services/identity.py",
        "bot/services/roster.py",
        "bot/services/org_rules.py",
        "bot/services/tabular.py",
        "bot/cli/startup.py",
        "bot/services/outbox.py",
        "handlers/__init__.py",
        "handlers/common.py",
        "handlers/flows.py",
        "handlers/core/*.py",
        "handlers/branch/*.py",
        "bot/templates/core/*.j2",
    ],
    "measures": ["bot/measures/*.py", "bot/cli/measures.py", "handlers/measures/*.py", "bot/templates/measures/*.j2"],
    "birthdays": [
        "bot/services/birthdays/*.py",
        "bot/cli/birthdays.py",
        "bot/jobs/birthdays.py",
        "handlers/birthdays/*.py",
        "bot/templates/birthdays/*.j2",
    ],
    "first_agenda": [
        "bot/services/first_agenda/*.py",
        "bot/cli/first_agenda.py",
        "handlers/first_agenda/*.py",
        "bot/templates/first_agenda/*.j2",
    ],
    "volunteer": [
        "bot/services/volunteer/*.py",
        "bot/cli/volunteer.py",
        "bot/jobs/volunteer.py",
        "bot/services/tokens.py",  # the check-in code refusals (shared with meetings)
        "handlers/volunteer/*.py",
        "bot/templates/volunteer/*.j2",
    ],
    "ledger": [
        "bot/services/ledger/*.py",
        "bot/cli/ledger.py",
        "bot/jobs/ledger.py",
        "handlers/ledger/*.py",
    ],
    "points": [  # member points (党员积分) and branch stars (评星定级)
        "bot/services/points/*.py",
        "bot/cli/points.py",
        "bot/jobs/points.py",
        "handlers/points/*.py",
        "bot/templates/points/*.j2",
    ],
    # Unbinding, transfers (组织关系转出) and reading the audit log.
    "people": [
        "bot/services/membership.py",
        "bot/services/audit_log.py",
        "handlers/people/*.py",
        "bot/cli/people.py",
        "bot/templates/people/*.j2",
    ],
    "meetings": [
        "bot/services/meetings/*.py",
        "bot/services/kinds_of_meeting.py",  # the kinds table, shared with first agenda, ledgers, points and answers
        "bot/cli/meetings.py",
        "bot/jobs/meetings.py",
        "handlers/meetings/*.py",
        "bot/templates/meetings/*.j2",
    ],
}

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}


def domain_files(domain: str) -> Iterator[Path]:
    """The files of ``domain``, sorted."""
    for pattern in DOMAINS[domain]:
        yield from sorted(ROOT.glob(pattern))


def extract_domain(domain: str) -> Catalog:
    """A template catalog of every message in the domain's files."""
    template = Catalog(project="branchbot", domain=domain, charset="utf-8", fuzzy=False)
    for path in domain_files(domain):
        method = "jinja2" if path.suffix == ".j2" else "python"
        options = JINJA_OPTIONS if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options, strip_comment_tags=True
        ):
            template.add(
                message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments, context=context
            )
    return template


def po_path(language: str, domain: str) -> Path:
    """``locales/<language>/LC_MESSAGES/<domain>.po``."""
    return LOCALES / language / "LC_MESSAGES" / f"{domain}.po"


def extract() -> None:
    """Refresh the templates and merge them into every language's catalog (new messages come in empty)."""
    for domain in DOMAINS:
        template = extract_domain(domain)
        with (LOCALES / f"{domain}.pot").open("wb") as fp:
            write_po(fp, template, omit_header=False, sort_output=True)
        for language in LANGUAGES:
            path = po_path(language, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                with path.open("rb") as fp:
                    catalog = read_po(fp, locale=language, domain=domain)
            else:
                catalog = Catalog(locale=language, domain=domain, project="branchbot", charset="utf-8", fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True)
            with path.open("wb") as fp:
                write_po(fp, catalog, sort_output=True, ignore_obsolete=True, width=120)


def compile_all() -> None:
    """Write every .po as .mo (fuzzy entries are left out)."""
    for path in sorted(LOCALES.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as fp:
            catalog = read_po(fp)
        with path.with_suffix(".mo").open("wb") as fp:
            write_mo(fp, catalog, use_fuzzy=False)


def untranslated(language: str = "zh_CN") -> list[tuple[str, str]]:
    """``(domain, msgid)`` of messages with no translation in ``language``."""
    missing = []
    for domain in DOMAINS:
        path = po_path(language, domain)
        if not path.exists():
            missing.append((domain, "<catalog missing>"))
            continue
        with path.open("rb") as fp:
            catalog = read_po(fp)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings) or message.fuzzy:
                missing.append((domain, str(message.id)))
    return missing


def fill(language: str, domain: str, translations: dict[str, str | list[str]]) -> int:
    """Set translations of ``domain`` in ``language`` from a mapping msgid → text (a list for plurals)."""
    path = po_path(language, domain)
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=language, domain=domain)
    count = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
            count += 1
    with path.open("wb") as fp:
        write_po(fp, catalog, sort_output=True, ignore_obsolete=True, width=120)
    return count


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "extract":
        extract()
    elif command == "fill":
        import json

        language, domain, source = sys.argv[2], sys.argv[3], Path(sys.argv[4])
        print(fill(language, domain, json.loads(source.read_text(encoding="utf-8"))), "messages filled")
    elif command == "compile":
        compile_all()
    elif command == "check":
        gaps = untranslated()
        for domain, msgid in gaps:
            print(f"{domain}: {msgid}")
        sys.exit(1 if gaps else 0)
    else:
        sys.exit(__doc__)
