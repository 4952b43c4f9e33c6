"""Build ``data/traditional.txt`` offline from the ``opencc`` package (繁体字 -> 简体字).

    python -m bot.measures.build_traditional

Members in Dongguan may type traditional characters (a Hong Kong or Taiwan keyboard, a phone set that way:
"黨員積分"). The notice and every resource of the reader are simplified, so ``analysis.normalize`` reads such a
character as its simplified form. The table is OpenCC's own conversion (t2s, then Taiwan's and Hong Kong's
variants), one character at a time, kept only where

- the character is not in GB2312, the simplified standard: a character that is also simplified text (著, 乾, 后)
  is never changed, so no simplified question is read differently;
- OpenCC gives one simplified character for it, so that every span found on the normalised question is where it
  was in the question.

The package is a development dependency; the bot reads the small extract (nothing is fetched at run time).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.measures.analysis import simplified_standard

OUT = Path(__file__).resolve().parent / "data" / "traditional.txt"
HEADER = (
    "# traditional simplified: characters outside GB2312 that OpenCC {version} (t2s, tw2s, hk2s) makes one"
    " simplified character, see build_traditional.py\n"
)
# CJK Unified Ideographs, Extension A, and the compatibility ideographs (NFKC already folds most of those).
_RANGES = ((0x4E00, 0xA000), (0x3400, 0x4DC0), (0xF900, 0xFB00))
_CONFIGS = ("t2s", "tw2s", "hk2s")


def pairs() -> Iterator[tuple[str, str]]:
    """(traditional, simplified) for every character the table maps, in code-point order of the ranges."""
    import opencc  # type: ignore[import-not-found,import-untyped,unused-ignore]

    converters = [opencc.OpenCC(config) for config in _CONFIGS]
    for start, stop in _RANGES:
        for point in range(start, stop):
            char = chr(point)
            if simplified_standard(char):
                continue
            for converter in converters:
                simplified = converter.convert(char)
                if simplified != char:
                    if len(simplified) == 1:
                        yield char, simplified
                    break


def opencc_version() -> str:
    from importlib.metadata import version

    return version("opencc")


def text() -> str:
    """The file's text: the header (with the version of OpenCC), then one "traditional simplified" pair per line."""
    return HEADER.format(version=opencc_version()) + "".join(f"{t} {s}\n" for t, s in pairs())


def build() -> int:
    """Write the extract and return its number of pairs."""
    body = text()
    OUT.write_text(body, encoding="utf-8")
    return body.count("\n") - 1


if __name__ == "__main__":
    print(f"{build()} characters -> {OUT}")
