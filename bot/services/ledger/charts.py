"""Charts as PNG pictures, readable on a phone: large type, at most twelve bars, the value on each bar.

Chinese labels need a Simplified Chinese face. The set-up (scripts/bootstrap.sh) installs Debian's
``fonts-wqy-microhei`` (文泉驿微米黑, one family, designed for Simplified Chinese); we load that file explicitly
rather than trusting a font lookup, which on a machine with Noto CJK would happily pick its Japanese face.
Nothing is downloaded at run time. ``BRANCHBOT_CHART_FONT`` may point at another Simplified Chinese font file.

Drawn with Pillow's ImageDraw (a bar chart is rectangles and text): importing and drawing take a few
hundredths of a second, where matplotlib took most of a second to import and a tenth or more per chart, which
kept one branch-year's ledger (three charts, in a fresh process) over its one second. Every text, ticks
included, is drawn in the one font file loaded here. Imported inside the functions, so start-up does not pay
for Pillow.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.ledger.data import LedgerData, indicators, monthly, requirements

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

KINDS = ("attendance", "meetings", "first-agenda", "service")
MAX_BARS = 12
FAMILY = "WenQuanYi Micro Hei"
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian, Ubuntu
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Arch
)
RED, GREY, GOLD = "#C8102E", "#B0B0B0", "#D4A017"
INK, FRAME = "#000000", "#CCCCCC"
WIDTH, HEIGHT, DPI = 960, 720, 120  # 8 × 6 inches at 120 dpi: a phone shows it full width
_lock = threading.Lock()  # a FreeType face is not safe to share between threads drawing at once


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, every text drawn on it (numbers included), and the font family it is drawn in
    (the tests check that the family has every glyph of every text)."""

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


def _px(points: float) -> int:
    """Type sizes are given in points, as a printed chart's would be; pixels at :data:`DPI`."""
    return round(points * DPI / 72)


@cache
def _font(points: float) -> FreeTypeFont:
    """The font file's first face (in the WenQuanYi collection: the proportional one) at ``points``."""
    from PIL import ImageFont

    # Basic layout: left-to-right Chinese and digits need no shaping, and it does not depend on libraqm.
    return ImageFont.truetype(str(font_file()), _px(points), index=0, layout_engine=ImageFont.Layout.BASIC)


def family() -> str:
    """The family name of the face every text is drawn in (read from the font file itself)."""
    return str(_font(14).getname()[0])


def draw(kind: str, data: LedgerData) -> Chart:
    """Draw chart ``kind`` (one of :data:`KINDS`) for ``data`` (CPU-bound: call it in a worker thread)."""
    if kind not in KINDS:
        raise InvalidInput(N_("Unknown chart %(kind)s (use %(kinds)s)."), kind=kind, kinds=", ".join(KINDS))
    with _lock:
        name = family()
        if kind == "attendance":
            months = monthly(data)[-MAX_BARS:]
            bars = [(k[2:], a / e if e else None) for k, a, e, _ in months]
            return _bars(kind, name, "出勤率（按月）", bars, percent=True)
        if kind == "service":
            months = monthly(data)[-MAX_BARS:]
            bars = [(k[2:], minutes / 60) for k, _, _, minutes in months]
            return _bars(kind, name, "志愿服务时长（小时，按月）", bars, percent=False)
        if kind == "meetings":
            held: dict[str, list[int]] = {}
            for r in requirements(data):
                cell = held.setdefault(r.name_zh, [0, 0])
                cell[0] += min(r.held, r.required)
                cell[1] += r.required
            pairs = [(n, h, req) for n, (h, req) in held.items()][:MAX_BARS]
            return _held_vs_required(name, pairs)
        ranked = [r for r in indicators(data) if r.first_agenda is not None]
        ranked.sort(key=lambda r: -(r.first_agenda or 0))
        bars = [(r.name, r.first_agenda) for r in ranked[:MAX_BARS]]
        notes = [f"{r.lag:.0f}天" if r.lag is not None else "" for r in ranked[:MAX_BARS]]
        return _bars(
            kind, name, "第一议题学习率（按支部，标注平均间隔）", bars, percent=True, horizontal=True, notes=notes
        )


def _short(text: str, limit: int = 10) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ticks(top: float) -> list[float]:
    """Round tick values from 0 to ``top``: a step of 1, 2 or 5 × 10ⁿ, at most nine ticks (whole numbers for
    counts of meetings)."""
    if top <= 0:
        return [0.0]
    raw = top / 8
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def _number(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:g}"


class _Canvas:
    """One chart's picture: a white 960 × 720 image, the axes' box in pixels, text in the one font."""

    def __init__(self, left: float, right: float, top: float, bottom: float) -> None:
        from PIL import Image, ImageDraw

        self.image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        self.pen = ImageDraw.Draw(self.image)
        self.drawn: list[str] = []  # every text, in drawing order
        # The axes' box, from fractions of the picture as a figure's margins are given (top and bottom from below).
        self.x0, self.x1 = left * WIDTH, right * WIDTH
        self.y0, self.y1 = (1 - top) * HEIGHT, (1 - bottom) * HEIGHT

    def text(self, xy: tuple[float, float], text: str, points: float, anchor: str, fill: str = INK) -> None:
        self.drawn.append(text)
        self.pen.text(xy, text, font=_font(points), anchor=anchor, fill=fill)

    def rotated(self, x: float, top: float, text: str, points: float, degrees: float) -> None:
        """``text`` turned ``degrees`` anticlockwise, its box centred under ``x`` with its top at ``top``."""
        from PIL import Image, ImageDraw

        self.drawn.append(text)
        font = _font(points)
        left, upper, right, lower = (round(edge) for edge in font.getbbox(text))
        mask = Image.new("L", (right - left + 2, lower - upper + 2), 0)
        ImageDraw.Draw(mask).text((1 - left, 1 - upper), text, font=font, fill=255)
        mask = mask.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True)
        box = mask.getbbox() or (0, 0, mask.width, mask.height)
        mask = mask.crop(box)
        self.image.paste(INK, (round(x - mask.width / 2), round(top)), mask)

    def title(self, title: str, points: float) -> None:
        self.text(((self.x0 + self.x1) / 2, self.y0 - _px(6)), title, points, "md")

    def spines(self) -> None:
        """The left and bottom axis lines (no box: the top and right ones say nothing)."""
        self.pen.line([(self.x0, self.y0), (self.x0, self.y1), (self.x1, self.y1)], fill=INK, width=1)

    def empty(self, message: str, points: float) -> None:
        self.text(((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2), message, points, "mm")

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # The resolution is recorded, so a workbook places the picture at its intended size.
        self.image.save(buffer, "PNG", dpi=(DPI, DPI), compress_level=6)
        return buffer.getvalue()


class _Scale:
    """Data to pixels along one axis."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.span, self.start, self.extent = low, (high - low) or 1.0, start, end - start

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / self.span * self.extent


def _category_limits(count: int) -> tuple[float, float]:
    """Bars 0.8 wide at 0 … count-1, with a 5 % margin on each side (as matplotlib pads bars)."""
    low, high = -0.4, count - 1 + 0.4
    pad = 0.05 * (high - low)
    return low - pad, high + pad


def _value_ticks(canvas: _Canvas, scale: _Scale, limit: float, *, vertical: bool) -> None:
    """The value axis's ticks and their numbers."""
    tick = _px(3.5)
    for value in _ticks(limit):
        at = scale(value)
        if vertical:
            canvas.pen.line([(canvas.x0 - tick, at), (canvas.x0, at)], fill=INK, width=1)
            canvas.text((canvas.x0 - tick - _px(3.5), at), _number(value), 14, "rm")
        else:
            canvas.pen.line([(at, canvas.y1), (at, canvas.y1 + tick)], fill=INK, width=1)
            canvas.text((at, canvas.y1 + tick + _px(3.5)), _number(value), 14, "ma")


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
    # Fixed margins, sized for the longest labels (ten characters on the side, rotated months below).
    if horizontal:
        canvas = _Canvas(left=0.30, right=0.95, top=0.88, bottom=0.08)
    else:
        canvas = _Canvas(left=0.10, right=0.97, top=0.88, bottom=0.15)
    names = [_short(name) for name, _ in bars]
    values = [v or 0.0 for _, v in bars]
    scale = 100 if percent else 1
    texts = [("—" if v is None else f"{v * scale:.0f}%" if percent else f"{v:.1f}") for _, v in bars]
    if notes:
        texts = [f"{t} {n}".strip() for t, n in zip(texts, notes, strict=True)]
    tick = _px(3.5)
    if not bars or not any(values):
        canvas.empty("本期无数据", 22)
    elif horizontal:
        limit = max(v * scale for v in values) * 1.3
        across = _Scale(0, limit, canvas.x0, canvas.x1)
        down = _Scale(*_category_limits(len(bars)), canvas.y1, canvas.y0)
        positions = list(range(len(bars)))[::-1]  # the first (best) at the top
        for y, v, name, text in zip(positions, values, names, texts, strict=True):
            middle = down(y)
            half = (down(y - 0.4) - down(y + 0.4)) / 2
            canvas.pen.rectangle([canvas.x0, middle - half, across(v * scale), middle + half], fill=RED)
            canvas.text((across(v * scale) + _px(4), middle), text, 14, "lm")
            canvas.pen.line([(canvas.x0 - tick, middle), (canvas.x0, middle)], fill=INK, width=1)
            canvas.text((canvas.x0 - tick - _px(3.5), middle), name, 14, "rm")
        _value_ticks(canvas, across, limit, vertical=False)
        canvas.spines()
    else:
        limit = max(v * scale for v in values) * 1.2
        across = _Scale(*_category_limits(len(bars)), canvas.x0, canvas.x1)
        up = _Scale(0, limit, canvas.y1, canvas.y0)
        turned = len(bars) > 6  # twelve months side by side: their names turned 45° so they do not touch
        for x, v, name, text in zip(range(len(bars)), values, names, texts, strict=True):
            centre = across(x)
            canvas.pen.rectangle([across(x - 0.4), up(v * scale), across(x + 0.4), canvas.y1], fill=RED)
            canvas.text((centre, up(v * scale) - _px(2)), text, 14, "md")
            canvas.pen.line([(centre, canvas.y1), (centre, canvas.y1 + tick)], fill=INK, width=1)
            if turned:
                canvas.rotated(centre, canvas.y1 + tick + _px(3.5), name, 14, 45)
            else:
                canvas.text((centre, canvas.y1 + tick + _px(3.5)), name, 14, "ma")
        _value_ticks(canvas, up, limit, vertical=True)
        canvas.spines()
    canvas.title(title, 20)
    return Chart(kind, canvas.png(), canvas.drawn, family)


def _held_vs_required(family: str, pairs: list[tuple[str, int, int]]) -> Chart:
    canvas = _Canvas(left=0.26, right=0.95, top=0.88, bottom=0.08)
    title = "应开展与已开展（按类型）"
    if not pairs:
        canvas.empty("本期不含完整的月、季度或年", 20)
    else:
        names = [_short(n, 8) for n, _, _ in pairs]
        limit = max(r for _, _, r in pairs) * 1.25
        across = _Scale(0, limit, canvas.x0, canvas.x1)
        down = _Scale(*_category_limits(len(pairs)), canvas.y1, canvas.y0)
        tick = _px(3.5)
        positions = list(range(len(pairs)))[::-1]
        for p, name, (_, h, r) in zip(positions, names, pairs, strict=True):
            # Two bars 0.4 high per kind: required (grey) above, held (red) below, each with its number.
            for offset, value, colour in ((0.2, r, GREY), (-0.2, h, RED)):
                middle = down(p + offset)
                half = (down(p + offset - 0.2) - down(p + offset + 0.2)) / 2
                canvas.pen.rectangle([canvas.x0, middle - half, across(value), middle + half], fill=colour)
                canvas.text((across(value) + _px(4), middle), str(value), 13, "lm")
            canvas.pen.line([(canvas.x0 - tick, down(p)), (canvas.x0, down(p))], fill=INK, width=1)
            canvas.text((canvas.x0 - tick - _px(3.5), down(p)), name, 14, "rm")
        _value_ticks(canvas, across, limit, vertical=False)
        canvas.spines()
        _legend(canvas, [("应开展", GREY), ("已开展", RED)])
    canvas.title(title, 20)
    return Chart("meetings", canvas.png(), canvas.drawn, family)


def _legend(canvas: _Canvas, entries: Sequence[tuple[str, str]]) -> None:
    """A framed key in the axes' lower right corner: a swatch and its name per line."""
    font = _font(14)
    em = font.size
    line = round(em * 1.3)
    swatch = (2 * em, round(em * 0.7))
    width = max(round(font.getlength(text)) for text, _ in entries) + swatch[0] + round(em * 1.6)
    height = line * len(entries) + round(em * 0.6)
    right, bottom = canvas.x1 - em // 2, canvas.y1 - em // 2
    left, top = right - width, bottom - height
    canvas.pen.rounded_rectangle([left, top, right, bottom], radius=4, fill="white", outline=FRAME)
    for n, (text, colour) in enumerate(entries):
        middle = top + round(em * 0.3) + line * n + line / 2
        x = left + round(em * 0.4)
        canvas.pen.rectangle([x, middle - swatch[1] / 2, x + swatch[0], middle + swatch[1] / 2], fill=colour)
        canvas.text((x + swatch[0] + round(em * 0.6), middle), text, 14, "lm")
