"""The feature's catalog agrees with the others: the catalogs are merged into one per locale, so a message id
that two features share must be translated the same way, or one feature's wording silently replaces another's."""

from __future__ import annotations

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR


def test_shared_message_ids_are_translated_alike() -> None:
    directory = LOCALES_DIR / "zh_CN" / "LC_MESSAGES"
    with (directory / "first_agenda.po").open("rb") as fp:
        mine = read_po(fp)
    clashes = []
    for path in sorted(directory.glob("*.po")):
        if path.name == "first_agenda.po":
            continue
        with path.open("rb") as fp:
            other = read_po(fp)
        for message in mine:
            theirs = other.get(message.id) if message.id else None
            if theirs is not None and theirs.string != message.string:
                clashes.append(f"{path.name}: {message.id!r}: {theirs.string!r} != {message.string!r}")
    assert clashes == []
