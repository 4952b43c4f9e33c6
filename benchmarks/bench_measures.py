"""Quality and speed of the measures' question answering.

    python benchmarks/bench_measures.py [--verbose]

Prints top-1 / top-3 accuracy (overall, per reader's language and per kind of question) on
benchmarks/measures_eval.jsonl (each question is answered as the chat does: ask(q, lang)), the share of
"don't know" questions answered with nothing, p50/p95 latency per question once the index is built, and the
start-up cost: wall time from launching a fresh interpreter to both the Chinese and the English index ready.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from bot.measures.search import Answer, ask, get_index  # noqa: E402

EVAL = Path(__file__).resolve().parent / "measures_eval.jsonl"
STARTUP_SNIPPET = (
    "import sys; sys.path.insert(0, {root!r})\nfrom bot.measures import get_index\nget_index('zh'); get_index('en')\n"
)


@dataclass(frozen=True)
class Case:
    """One evaluation question."""

    q: str
    lang: str
    expect: tuple[int, ...]
    kind: str


@dataclass(frozen=True)
class Result:
    """The outcome of one case."""

    case: Case
    ranked: tuple[int, ...]
    answer: Answer

    @property
    def answerable(self) -> bool:
        """True when the case expects a measure."""
        return bool(self.case.expect)

    @property
    def top1(self) -> bool:
        """The best hit is accepted (or, for a "don't know" case, there is no hit)."""
        if not self.answerable:
            return not self.ranked
        return bool(self.ranked) and self.ranked[0] in self.case.expect

    @property
    def top3(self) -> bool:
        """An accepted measure is among the first three hits."""
        if not self.answerable:
            return not self.ranked
        return any(n in self.case.expect for n in self.ranked[:3])


def load_cases(path: Path = EVAL) -> list[Case]:
    """Read the evaluation set."""
    cases = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            cases.append(Case(d["q"], d["lang"], tuple(d["expect"]), d.get("kind", "")))
    return cases


def evaluate(cases: list[Case]) -> list[Result]:
    """Answer every case as the chat does for a member whose language is ``lang``."""
    results = []
    for c in cases:
        a = ask(c.q, c.lang, top=3)
        results.append(Result(c, tuple(h.measure.number for h in a.hits), a))
    return results


def startup_seconds(runs: int = 3) -> float:
    """Median wall time from launching a fresh interpreter to both indexes being ready."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP_SNIPPET.format(root=str(ROOT))], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def latencies(cases: list[Case], rounds: int = 20) -> list[float]:
    """Per-question latency in seconds over several rounds, indexes already built."""
    out = []
    for _ in range(rounds):
        for c in cases:
            t0 = time.perf_counter()
            ask(c.q, c.lang, top=3)
            out.append(time.perf_counter() - t0)
    return out


def pct(part: int, whole: int) -> str:
    """A percentage with its counts."""
    return f"{100.0 * part / whole:5.1f} % ({part}/{whole})" if whole else "  n/a"


def main() -> None:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()

    startup = startup_seconds()
    cases = load_cases()
    t0 = time.perf_counter()
    get_index("zh")
    get_index("en")
    build = time.perf_counter() - t0
    results = evaluate(cases)
    answerable = [r for r in results if r.answerable]
    dont_know = [r for r in results if not r.answerable]

    print(f"evaluation set: {len(cases)} questions ({len(answerable)} answerable, {len(dont_know)} don't-know)")
    print(f"top-1 accuracy: {pct(sum(r.top1 for r in answerable), len(answerable))}")
    print(f"top-3 accuracy: {pct(sum(r.top3 for r in answerable), len(answerable))}")
    for lang in ("zh", "en"):
        sub = [r for r in answerable if r.case.lang == lang]
        print(
            f"  {lang}: top-1 {pct(sum(r.top1 for r in sub), len(sub))}"
            f"   top-3 {pct(sum(r.top3 for r in sub), len(sub))}"
        )
    kinds = sorted({r.case.kind for r in answerable})
    for kind in kinds:
        sub = [r for r in answerable if r.case.kind == kind]
        print(f"  {kind:<12} top-1 {pct(sum(r.top1 for r in sub), len(sub))}")
    print(f"don't know answered with nothing: {pct(sum(r.top1 for r in dont_know), len(dont_know))}")

    lat = sorted(latencies(cases))
    p50 = statistics.median(lat) * 1000
    p95 = lat[int(0.95 * (len(lat) - 1))] * 1000
    print(f"latency per question: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {lat[-1] * 1000:.2f} ms ({len(lat)} runs)")
    print(f"index build in this process (zh + en): {build * 1000:.0f} ms")
    print(f"start-up, fresh interpreter to both indexes ready: {startup * 1000:.0f} ms (median of 3)")

    misses = [r for r in results if not r.top1]
    if misses and args.verbose:
        print("\nmisses (top-1):")
        for r in misses:
            print(f"  [{r.case.lang}] {r.case.q!r}: expected {list(r.case.expect)}, got {list(r.ranked)}")


if __name__ == "__main__":
    main()
