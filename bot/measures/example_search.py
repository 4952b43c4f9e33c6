"""The nearest written example of a measure, found exactly, two to five times faster than ``math.dist`` over each.

The word-vector models (vectors.py, meaning.py) compare a question with every written example of the two or three
measures ranked best, and with every written off-topic question: 300-1,700 examples of 64-100 small integers each.
``min(map(math.dist, ...))`` over them was a third of a question's time (0.3-0.7 ms a group). Here each group is kept
as one Python integer per dimension, its examples side by side in 32-bit fields ("SIMD within a register"): the
question's coordinates, rounded to integers, times those columns add up to every example's dot product at once in
CPython's big-integer arithmetic (C), and the fields are read back as an array.

The rounding makes those dot products approximate, within a bound known in advance (``band``): only the examples
that the bound cannot tell from the best one (about one a search) are read back from the columns and measured with
``math.dist``, so the distance returned is bit for bit the one of the plain search (``brute_force``), which the tests
check.

Memory: four bytes a coordinate, against eight for a tuple of small integers and one for bytes (the word-vector
model's examples were bytes, the distilled model's tuples): the bot's RSS is what it was.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, mul, sub

_FIELD_BITS = 32
_SCALES = (1024, 512, 256, 128, 64, 32, 16)  # the question's rounding, finest first: the finest that fits
# The fields are read from the integer's little-endian bytes as C unsigned ints (on a machine where
# those are not 32 bits little-endian: the plain search).
_PACKED = sys.byteorder == "little" and array("I").itemsize * 8 == _FIELD_BITS
_MASK = (1 << _FIELD_BITS) - 1


@dataclass(frozen=True)
class Placed:
    """A question's vector in the examples' space: its coordinates, and the same rounded for the columns."""

    coordinates: tuple[float, ...]
    rounded: tuple[int, ...] | None  # None when a coordinate is outside the range the columns were sized for


class ExampleIndex:
    """Groups of examples (integer vectors of one length), searched for the one nearest a question's vector.

    ``low`` / ``high``: the range of a question's coordinates (the unit sphere's in the examples' space).
    """

    def __init__(self, groups: Sequence[Sequence[Sequence[int]]], low: float, high: float) -> None:
        examples = [e for group in groups for e in group]
        dims = len(examples[0]) if examples else 0
        self._low = low
        least = min((min(e) for e in examples), default=0)
        # The examples' coordinates shifted to be at least 0 (``u`` below), the question's by -low.
        shift = -min(0, least)
        self._span = high - low  # the largest shifted coordinate of a question
        sums = [sum(e) + shift * dims for e in examples]  # each example's L1 norm, shifted
        # Each example's part of its distance that the question does not change (see _Group): Σe² + 2·(-low)·Σu.
        costs = [sum(map(mul, e, e)) + 2 * (-low) * u for e, u in zip(examples, sums, strict=True)]
        scale = next(
            (
                s
                for s in _SCALES
                if s // 2 * max(costs, default=0) + max(sums, default=0) * math.ceil(self._span * s + 1)
                < 1 << _FIELD_BITS
            ),
            None,
        )
        if scale is None:
            raise ValueError("examples too long or too large for 32-bit fields")
        self._scale = scale
        self._groups: list[_Group] = []
        first = 0
        for group in groups:
            end = first + len(group)
            self._groups.append(_Group(group, sums[first:end], costs[first:end], scale, shift))
            first = end

    def place(self, coordinates: Sequence[float]) -> Placed:
        """The question's vector, ready for :meth:`nearest_distance` on any group."""
        point = tuple(coordinates)
        if not _PACKED or (point and (min(point) < self._low or max(point) - self._low > self._span)):
            return Placed(point, None)
        return Placed(point, tuple(map(round, map(mul, map(sub, point, repeat(self._low)), repeat(self._scale)))))

    def nearest_distance(self, group: int, placed: Placed) -> float | None:
        """The Euclidean distance from ``placed`` to the nearest example of ``group`` (None when it has none)."""
        return self._groups[group].nearest(placed)


class _Group:
    """One group's columns (see the module's docstring)."""

    def __init__(
        self,
        examples: Sequence[Sequence[int]],
        sums: list[int],
        costs: list[float],
        scale: int,
        shift: int,
    ) -> None:
        self.count = len(examples)
        self.shift = shift
        # Sought: the least |e - p|² = Σe² - 2Σe·p + Σp². With u = e + shift and r = p + offset (the index's -low;
        # both ≥ 0), Σe·p = Σu·r - offset·Σu - shift·Σr + const, so the least distance has the greatest
        #     Σu·r - (Σe² + 2·offset·Σu) / 2,
        # and with r rounded to R / scale: scale·Σu·r ≈ Σu·R, off by at most Σu / 2. Each field holds
        #     Σu·R + scale · (K - (Σe² + 2·offset·Σu) / 2)   (K: the largest of those, so that no field is negative)
        # where the columns give Σu·R and ``constants`` the rest (``costs``: each Σe² + 2·offset·Σu).
        ceiling = max(costs, default=0)
        self.constants = _packed(int(scale * (ceiling - c) / 2) for c in costs)
        self.columns = [_packed(map(add, column, repeat(shift))) for column in zip(*examples, strict=True)]
        # Two examples whose fields differ by more than their two rounding errors together (each at most its Σu / 2,
        # so together at most the largest Σu) are in the same order as their distances: only the examples within
        # that of the best field may be the nearest. (+3: room for the constants' halving and math.dist's own
        # floating point.)
        self.band = max(sums, default=0) + 3
        self.size = self.count * _FIELD_BITS // 8

    def nearest(self, placed: Placed) -> float | None:
        if not self.count:
            return None
        point = placed.coordinates
        if placed.rounded is None:
            return brute_force(self.examples(range(self.count)), point)
        total = sum(map(mul, self.columns, placed.rounded), self.constants)
        fields = array("I", total.to_bytes(self.size, "little"))
        best = max(fields)
        cut = best - self.band
        first = fields.index(best)
        # Usually no other field is within the band: two more passes in C tell, rather than one in Python.
        if max(fields[:first], default=0) < cut and max(fields[first + 1 :], default=0) < cut:
            return math.dist(self._coordinates(first), point)
        near = compress(range(self.count), map(cut.__le__, fields))
        return brute_force(self.examples(near), point)

    def examples(self, which: Iterable[int]) -> list[list[int]]:
        """The exact coordinates of the examples ``which``, read back from the columns (a copy of them beside the
        columns cost the bot 1.7 MB; reading one example back costs 10 µs, and a search reads about one)."""
        return [self._coordinates(e) for e in which]

    def _coordinates(self, e: int) -> list[int]:
        k = _FIELD_BITS * e
        shift = self.shift
        if 2 * e < self.count:  # masking first makes integers of the fields below, shifting first of those above
            mask = _MASK << k
            return [((c & mask) >> k) - shift for c in self.columns]
        return [((c >> k) & _MASK) - shift for c in self.columns]


def brute_force(examples: Sequence[Sequence[int]], point: Sequence[float]) -> float | None:
    """The plain search: the least ``math.dist`` from ``point`` to each example (None when there is none)."""
    return min(map(math.dist, examples, repeat(point))) if examples else None


def _packed(values: Iterable[int]) -> int:
    """Non-negative integers below 2³² as one integer, the first in the lowest field."""
    if _PACKED:
        return int.from_bytes(array("I", values).tobytes(), "little")
    return int.from_bytes(b"".join(v.to_bytes(4, "little") for v in values), "little")
