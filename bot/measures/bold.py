"""The key words of a quoted sentence in bold (the chat wraps the bold segments in <b>)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_BOLD_GAP = re.compile(r"[\s-]*")


def highlight(sentence: str, terms: Iterable[str], weak: Iterable[str] = ()) -> list[tuple[str, bool]]:
    """Split ``sentence`` into (segment, bold) parts, bold where a term occurs (longest match, any case).

    A ``weak`` term (one found in most measures, such as "Party") is bold only next to a bold term, so that
    "Party dues" is bold as one phrase while "Party" alone is not. Bold matches separated only by spaces or
    hyphens become one bold segment. The chat layer HTML-escapes each segment and wraps the bold ones in
    <b>; the segments join back to the sentence.
    """
    weak_set = {t.lower() for t in weak}
    alternatives = []
    for t in sorted({t for t in terms if t and t.strip()}, key=len, reverse=True):
        pattern = re.escape(t)
        if re.fullmatch(r"[\w'-]+", t, flags=re.ASCII):
            pattern = rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])"  # whole English words only
        alternatives.append(pattern)
    if not sentence:
        return []
    if not alternatives:
        return [(sentence, False)]
    spans = [
        (m.start(), m.end(), m.group(0).lower() not in weak_set)
        for m in re.finditer("|".join(alternatives), sentence, flags=re.IGNORECASE)
    ]

    def touches(a: tuple[int, int, bool], b: tuple[int, int, bool]) -> bool:
        return bool(_BOLD_GAP.fullmatch(sentence[a[1] : b[0]]))

    # A weak match next to a strong one (either side, through a chain of weak ones) is bold too.
    strong = [s[2] for s in spans]
    for order in (range(1, len(spans)), range(len(spans) - 2, -1, -1)):
        for k in order:
            j = k - 1 if order.step == 1 else k + 1
            if not strong[k] and strong[j] and touches(*sorted((spans[j], spans[k]))):
                strong[k] = True
    bold = [(a, b) for (a, b, _), keep in zip(spans, strong, strict=True) if keep]
    merged: list[list[int]] = []
    for a, b in bold:
        if merged and _BOLD_GAP.fullmatch(sentence[merged[-1][1] : a]):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out: list[tuple[str, bool]] = []
    pos = 0
    for a, b in merged:
        if a > pos:
            out.append((sentence[pos:a], False))
        out.append((sentence[a:b], True))
        pos = b
    if pos < len(sentence):
        out.append((sentence[pos:], False))
    return out
