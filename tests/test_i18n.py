"""Every message has a Chinese translation, and the compiled catalogs match their sources."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, translator
from tests.scripts_support import load_script

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    script = load_script("i18n")
    missing = []
    for domain in script.DOMAINS:
        template = script.extract_domain(domain)
        path = script.po_path("zh_CN", domain)
        assert path.exists(), f"no zh_CN catalog for {domain}"
        with path.open("rb") as fp:
            catalog = read_po(fp)
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id)
            strings = found.string if found and isinstance(found.string, tuple) else (found.string if found else "",)
            if not found or not all(strings):
                missing.append(f"{domain}: {message.id!r}")
    assert missing == [], "untranslated (run scripts/i18n.py extract, translate, compile):\n" + "\n".join(missing)


def test_compiled_catalogs_match_their_sources() -> None:
    for po_file in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po")):
        mo_file = po_file.with_suffix(".mo")
        assert mo_file.exists(), f"{mo_file} missing: run scripts/i18n.py compile"
        with po_file.open("rb") as fp:
            catalog = read_po(fp)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        assert mo_file.read_bytes() == buffer.getvalue(), f"{mo_file} is stale: run scripts/i18n.py compile"


def test_translator_formats_and_falls_back_to_english() -> None:
    assert translator("zh_CN").gettext("Hello, %(name)s!", name="张伟") == "张伟，您好！"
    assert translator("en").gettext("Hello, %(name)s!", name="Zhang Wei") == "Hello, Zhang Wei!"
    assert (
        translator("en")
        .ngettext(
            "Each link works once and expires in %(num)d day.", "Each link works once and expires in %(num)d days.", 3
        )
        .endswith("3 days.")
    )
    assert (
        translator("zh_CN").ngettext(
            "Each link works once and expires in %(num)d day.", "Each link works once and expires in %(num)d days.", 3
        )
        == "每个链接只能使用一次，3天后失效。"
    )


def test_a_message_shared_by_two_catalogs_has_one_translation() -> None:
    """Catalogs are merged at load time, so the same msgid must read the same in every feature."""
    for language in ("zh_CN", "en"):
        seen: dict[object, tuple[str, object]] = {}
        clashes = []
        for po_file in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
            with po_file.open("rb") as fp:
                for message in read_po(fp):
                    if not message.id or not message.string:
                        continue
                    key = message.id if isinstance(message.id, str) else tuple(message.id)
                    value = message.string if isinstance(message.string, str) else tuple(message.string)
                    if key in seen and seen[key][1] != value:
                        clashes.append(f"{language}: {key!r} in {seen[key][0]} and {po_file.name}")
                    seen.setdefault(key, (po_file.name, value))
        assert clashes == []


def test_every_module_that_translates_belongs_to_a_catalog() -> None:
    """A module outside every domain's globs is never extracted: its messages would reach people in English."""
    script = load_script("i18n")
    covered = {path.resolve() for globs in script.DOMAINS.values() for glob in globs for path in ROOT.glob(glob)}
    translating = re.compile(r"\bN_\(|(?<![\w.])_\(|\bn?gettext\(")
    stray = sorted(
        str(path.relative_to(ROOT))
        for folder in ("bot", "handlers", "storage")
        for path in (ROOT / folder).rglob("*.py")
        if path.resolve() not in covered and translating.search(path.read_text(encoding="utf-8"))
    )
    assert stray == [], f"add these to scripts/i18n.py DOMAINS: {stray}"
