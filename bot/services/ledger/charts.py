"""Charts as PNG pictures, readable on a phone: large type, at most twelve bars, the value on each bar.

Chinese labels need a Simplified Chinese face. The set-up (scripts/bootstrap.sh) installs Debian's
``fonts-wqy-microhei`` (文泉驿微米黑, one family, designed for Simplified Chinese); we load that file explicitly
rather than trusting a font lookup, which on a machine with Noto CJK would happily pick its Japanese face.
Nothing is downloaded at run time. ``BRANCHBOT_CHART_FONT`` may point at another Simplified Chinese font file.

matplotlib is used through its object API (no pyplot, no global state), so charts can be drawn in a worker
thread; it is imported inside the functions, so start-up does not pay for it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.ledger.data import LedgerData, indicators, monthly, requirements

KINDS = ("attendance", "meetings", "first-agenda", "service")
MAX_BARS = 12
FAMILY = "WenQuanYi Micro Hei"
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian, Ubuntu
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Arch
)
RED, GREY, GOLD = "#C8102E", "#B0B0B0", "#D4A017"
_lock = threading.Lock()  # matplotlib's font cache is shared: draw one chart at a time


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, every text drawn on it, and the font family used (the tests check both)."""

    kind: str
    png: bytes
    labels: list[str]
    family: str


@cache
def font_file() -> Path:
    """The Simplified Chinese font file; a clear refusal when the set-up did not install it."""
    configured = os.environ.get("BRANCHBOT_CHART_FONT")
    candidates = [configured] if configured else list(FONT_FILES)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if not configured and shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{FAMILY}:lang=zh-cn"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and Path(found).is_file() and "wqy" in found.lower():
            return Path(found)
    raise InvalidInput(
        N_("Charts need the WenQuanYi Micro Hei font: install it with %(command)s (scripts/bootstrap.sh does)."),
        command="apt-get install fonts-wqy-microhei",
    )


@cache
def _family() -> str:
    """Register the font file with matplotlib and return its family name."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_file()
    font_manager.fontManager.addfont(str(path))
    return str(FT2Font(str(path)).family_name)


def draw(kind: str, data: LedgerData) -> Chart:
    """Draw chart ``kind`` (one of :data:`KINDS`) for ``data`` (CPU-bound: call it in a worker thread)."""
    if kind not in KINDS:
        raise InvalidInput(N_("Unknown chart %(kind)s (use %(kinds)s)."), kind=kind, kinds=", ".join(KINDS))
    with _lock:
        family = _family()
        if kind == "attendance":
            months = monthly(data)[-MAX_BARS:]
            bars = [(k[2:], a / e if e else None) for k, a, e, _ in months]
            return _bars(kind, family, "出勤率（按月）", bars, percent=True)
        if kind == "service":
            months = monthly(data)[-MAX_BARS:]
            bars = [(k[2:], minutes / 60) for k, _, _, minutes in months]
            return _bars(kind, family, "志愿服务时长（小时，按月）", bars, percent=False)
        if kind == "meetings":
            held: dict[str, list[int]] = {}
            for r in requirements(data):
                cell = held.setdefault(r.name_zh, [0, 0])
                cell[0] += min(r.held, r.required)
                cell[1] += r.required
            pairs = [(name, h, req) for name, (h, req) in held.items()][:MAX_BARS]
            return _held_vs_required(family, pairs)
        ranked = [r for r in indicators(data) if r.first_agenda is not None]
        ranked.sort(key=lambda r: -(r.first_agenda or 0))
        bars = [(r.name, r.first_agenda) for r in ranked[:MAX_BARS]]
        notes = [f"{r.lag:.0f}天" if r.lag is not None else "" for r in ranked[:MAX_BARS]]
        return _bars(
            kind, family, "第一议题学习率（按支部，标注平均间隔）", bars, percent=True, horizontal=True, notes=notes
        )


def _figure(family: str, rows: int = 1) -> tuple[object, object]:
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    rcParams["axes.unicode_minus"] = False
    figure = Figure(figsize=(8, 6), dpi=120)
    axes = figure.subplots(rows, 1)
    return figure, axes


def _style(family: str) -> dict[str, object]:
    return {"family": family}


def _png(figure: object) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)  # type: ignore[arg-type]
    return buffer.getvalue()


def _short(text: str, limit: int = 10) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bars(
    kind: str,
    family: str,
    title: str,
    bars: list[tuple[str, float | None]],
    *,
    percent: bool,
    horizontal: bool = False,
    notes: list[str] | None = None,
) -> Chart:
    figure, ax = _figure(family)
    # Fixed margins, sized for the longest labels (ten characters on the side, rotated months below), rather than
    # a constrained layout, which measured every text twice and was most of a chart's drawing time.
    if horizontal:
        figure.subplots_adjust(left=0.30, right=0.95, top=0.88, bottom=0.08)  # type: ignore[attr-defined]
    else:
        figure.subplots_adjust(left=0.10, right=0.97, top=0.88, bottom=0.15)  # type: ignore[attr-defined]
    font = _style(family)
    labels = [title]
    names = [_short(name) for name, _ in bars]
    values = [v or 0.0 for _, v in bars]
    scale = 100 if percent else 1
    texts = [("—" if v is None else f"{v * scale:.0f}%" if percent else f"{v:.1f}") for _, v in bars]
    if notes:
        texts = [f"{t} {n}".strip() for t, n in zip(texts, notes, strict=True)]
    labels += names + texts
    if not bars or not any(values):
        empty = "本期无数据"
        labels.append(empty)
        ax.text(0.5, 0.5, empty, ha="center", va="center", fontsize=22, fontdict=font, transform=ax.transAxes)  # type: ignore[attr-defined]
        ax.set_axis_off()  # type: ignore[attr-defined]
    elif horizontal:
        positions = list(range(len(bars)))[::-1]
        ax.barh(positions, [v * scale for v in values], color=RED)  # type: ignore[attr-defined]
        ax.set_yticks(positions, names, fontsize=15, fontdict=font)  # type: ignore[attr-defined]
        for y, v, t in zip(positions, values, texts, strict=True):
            ax.text(v * scale, y, " " + t, va="center", fontsize=14, fontdict=font)  # type: ignore[attr-defined]
        ax.set_xlim(0, max(v * scale for v in values) * 1.3)  # type: ignore[attr-defined]
    else:
        positions = list(range(len(bars)))
        ax.bar(positions, [v * scale for v in values], color=RED)  # type: ignore[attr-defined]
        ax.set_xticks(positions, names, fontsize=14, fontdict=font, rotation=0 if len(bars) <= 6 else 45)  # type: ignore[attr-defined]
        for x, v, t in zip(positions, values, texts, strict=True):
            ax.text(x, v * scale, t, ha="center", va="bottom", fontsize=14, fontdict=font)  # type: ignore[attr-defined]
        ax.set_ylim(0, max(v * scale for v in values) * 1.2)  # type: ignore[attr-defined]
    ax.set_title(title, fontsize=20, fontdict=font)  # type: ignore[attr-defined]
    ax.tick_params(labelsize=14)  # type: ignore[attr-defined]
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)  # type: ignore[attr-defined]
    return Chart(kind, _png(figure), labels, family)


def _held_vs_required(family: str, pairs: list[tuple[str, int, int]]) -> Chart:
    figure, ax = _figure(family)
    figure.subplots_adjust(left=0.26, right=0.95, top=0.88, bottom=0.08)  # type: ignore[attr-defined]
    font = _style(family)
    title = "应开展与已开展（按类型）"
    legend = ["已开展", "应开展"]
    labels = [title, *legend]
    if not pairs:
        empty = "本期不含完整的月、季度或年"
        labels.append(empty)
        ax.text(0.5, 0.5, empty, ha="center", va="center", fontsize=20, fontdict=font, transform=ax.transAxes)  # type: ignore[attr-defined]
        ax.set_axis_off()  # type: ignore[attr-defined]
    else:
        names = [_short(n, 8) for n, _, _ in pairs]
        positions = list(range(len(pairs)))[::-1]
        ax.barh([p + 0.2 for p in positions], [r for _, _, r in pairs], height=0.4, color=GREY, label=legend[1])  # type: ignore[attr-defined]
        ax.barh([p - 0.2 for p in positions], [h for _, h, _ in pairs], height=0.4, color=RED, label=legend[0])  # type: ignore[attr-defined]
        ax.set_yticks(positions, names, fontsize=14, fontdict=font)  # type: ignore[attr-defined]
        for p, (_, h, r) in zip(positions, pairs, strict=True):
            ax.text(h, p - 0.2, f" {h}", va="center", fontsize=13, fontdict=font)  # type: ignore[attr-defined]
            ax.text(r, p + 0.2, f" {r}", va="center", fontsize=13, fontdict=font)  # type: ignore[attr-defined]
            labels += [str(h), str(r)]
        labels += names
        ax.legend(prop={"family": family, "size": 14}, loc="lower right")  # type: ignore[attr-defined]
        ax.set_xlim(0, max(r for _, _, r in pairs) * 1.25)  # type: ignore[attr-defined]
    ax.set_title(title, fontsize=20, fontdict=font)  # type: ignore[attr-defined]
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)  # type: ignore[attr-defined]
    return Chart("meetings", _png(figure), labels, family)
