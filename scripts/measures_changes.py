"""Which questions the project has get another answer from this tree than from an earlier commit.

    python scripts/measures_changes.py --base REV [--view answers|asides|sections|numbers|unregulated]
                                       [--batches LO-HI]

Every change to the measures' Q&A is registered with how many answers it changes over every question the project has
(the written and training questions, the tuning set and every held-out batch) and is judged on fresh batches by a
rule: kept if the answers it changes put the writer's measure first at least as often as they take it away, plus
off-topic questions newly answered. This script gives both. The base commit is checked out in a temporary worktree
and both builds are asked the same questions (this tree's files), each in a process of its own, side by side.

Views: ``answers`` (the measures an answer shows, as the benchmark scores them: some minutes for every question), or
one rule alone, in seconds: ``asides`` (asides.find_aside), ``sections`` (numbers.find_section_number), ``numbers``
(numbers.measure_references) and ``unregulated`` (unregulated.not_regulated).

It prints each question whose value changes (where it is, its writer's and its second reader's measures, before and
after) and, for ``answers``, the tally the rule reads, on the writers' labels.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ("answers", "asides", "sections", "numbers", "unregulated")
# Where the questions are, relative to a tree: the written and training questions, then the tuning set, then the
# held-out batches in their order (benchmarks/measures_heldout_N.jsonl, with measures_second_labels_N.jsonl).
SOURCES = (
    "bot/measures/data/questions.jsonl",
    "bot/measures/data/unprimed_questions.jsonl",
    "bot/measures/data/unprimed_offtopic.jsonl",
    "benchmarks/measures_eval.jsonl",
)


@dataclass(frozen=True)
class Question:
    """One question the project has: where it is (file and line), its words and its labels."""

    where: str
    q: str
    lang: str
    measures: tuple[int, ...]  # its writer's; none: off-topic
    second: tuple[int, ...] | None = None  # its second reader's, where its held-out batch has one


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _labels(value: object) -> tuple[int, ...]:
    return tuple(int(n) for n in value) if isinstance(value, list) else ()


def _batch_number(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def questions(root: Path = ROOT, batches: tuple[int, int] | None = None) -> list[Question]:
    """Every question the project has, or only those of held-out batches ``batches`` (LO, HI) when given."""
    files = [root / p for p in SOURCES] if batches is None else []
    for path in sorted((root / "benchmarks").glob("measures_heldout_*.jsonl"), key=_batch_number):
        if batches is None or batches[0] <= _batch_number(path) <= batches[1]:
            files.append(path)
    out = []
    for path in files:
        second = path.with_name(path.name.replace("heldout", "second_labels"))
        seconds = [_labels(r["measures"]) for r in _rows(second)] if "heldout" in path.name and second.exists() else []
        for i, r in enumerate(_rows(path)):
            label = _labels(r["expect"] if "expect" in r else r.get("measures"))
            reading = seconds[i] if seconds else None
            out.append(Question(f"{path.stem}:{i + 1}", str(r["q"]), str(r["lang"]), label, reading))
    return out


def dump(view: str, asked: Sequence[tuple[str, str]]) -> list[object]:
    """The ``view`` of each (question, language) by the ``bot`` package this process imports."""
    from bot.measures.analysis import normalize

    if view == "answers":
        from bot.measures.search import ask

        return [[h.measure.number for h in ask(q, lang, top=3).hits] for q, lang in asked]
    if view == "asides":
        from bot.measures.asides import find_aside

        return [None if (a := find_aside(q)) is None else str(a) for q, _ in asked]
    if view == "sections":
        from bot.measures.numbers import find_section_number

        return [None if (s := find_section_number(q)) is None else s.number for q, _ in asked]
    if view == "numbers":
        from bot.measures.numbers import measure_references

        return [[r.number for r in measure_references(normalize(q))] for q, _ in asked]
    from bot.measures.unregulated import not_regulated

    return [not_regulated(q) for q, _ in asked]


def _dump_in(tree: Path, view: str, asked_file: Path, out_file: Path) -> list[object]:
    """``dump`` in a process of its own that imports ``bot`` from ``tree``."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "measures_changes.py"), "--dump", view, "--tree", str(tree),
         "--asked", str(asked_file), "--out", str(out_file)],
        check=True,
    )  # fmt: skip
    values: list[object] = json.loads(out_file.read_text("utf-8"))
    return values


@dataclass(frozen=True)
class Tally:
    """What the changed answers do, on the writers' labels."""

    gained: int = 0  # the writer's measure now first, not before (or declined before)
    lost: int = 0  # the writer's measure first before, not now
    offtopic_answered: int = 0  # off-topic, declined before, answered now
    offtopic_declined: int = 0  # off-topic, answered before, declined now
    other: int = 0  # anything else: the same first measure in another order, another wrong measure …

    @property
    def kept(self) -> bool:
        """The registrations' rule: at least as many right first answers gained as lost plus off-topic answered."""
        return self.gained >= self.lost + self.offtopic_answered


def tally(changed: Sequence[tuple[Question, list[int], list[int]]]) -> Tally:
    """The ``Tally`` of (question, hits before, hits after) for answers that changed."""
    counts = {"gained": 0, "lost": 0, "offtopic_answered": 0, "offtopic_declined": 0, "other": 0}
    for question, before, after in changed:
        if not question.measures:
            kind = "offtopic_answered" if after and not before else "offtopic_declined" if before and not after else ""
        else:
            right_before = bool(before) and before[0] in question.measures
            right_after = bool(after) and after[0] in question.measures
            kind = "gained" if right_after and not right_before else "lost" if right_before and not right_after else ""
        counts[kind or "other"] += 1
    return Tally(**counts)


def compare(base: str, view: str, asked: Sequence[Question]) -> list[tuple[Question, object, object]]:
    """The questions whose ``view`` differs between commit ``base`` and this tree: (question, before, after)."""
    with tempfile.TemporaryDirectory(prefix="measures-changes-") as tmp:
        work = Path(tmp)
        tree = work / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), base], check=True)
        try:
            asked_file = work / "asked.json"
            asked_file.write_text(json.dumps([[q.q, q.lang] for q in asked], ensure_ascii=False), "utf-8")
            with ThreadPoolExecutor(2) as pool:
                before_run = pool.submit(_dump_in, tree, view, asked_file, work / "before.json")
                after_run = pool.submit(_dump_in, ROOT, view, asked_file, work / "after.json")
                before, after = before_run.result(), after_run.result()
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
    return [(q, b, a) for q, b, a in zip(asked, before, after, strict=True) if b != a]


def _numbers(value: object) -> list[int]:
    return [int(n) for n in value] if isinstance(value, list) else []


def _labels_text(question: Question) -> str:
    second = "" if question.second is None else f" / {list(question.second)}"
    return f"{list(question.measures)}{second}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="the commit to compare with (e.g. HEAD for the changes not yet committed)")
    parser.add_argument("--view", choices=VIEWS, default="answers")
    parser.add_argument("--batches", help="LO-HI: only these held-out batches (the judges of a step)")
    parser.add_argument("--dump", choices=VIEWS, help=argparse.SUPPRESS)  # the child process's own arguments
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--asked", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dump:
        sys.path.insert(0, args.tree)
        pairs = [(str(q), str(lang)) for q, lang in json.loads(Path(args.asked).read_text("utf-8"))]
        Path(args.out).write_text(json.dumps(dump(args.dump, pairs), ensure_ascii=False), "utf-8")
        return 0
    if not args.base:
        parser.error("--base is required")
    if args.batches is not None and not re.fullmatch(r"\d+(?:-\d+)?", args.batches):
        parser.error(f"--batches: LO-HI or N, not {args.batches!r}")
    lo, _, hi = (args.batches or "").partition("-")
    asked = questions(ROOT, (int(lo), int(hi or lo)) if lo else None)
    if not asked:
        parser.error(f"no held-out batch in {args.batches}")
    known = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "-q", f"{args.base}^{{commit}}"], capture_output=True
    )
    if known.returncode != 0:
        parser.error(f"--base: no commit {args.base!r} in this repository")
    changed = compare(args.base, args.view, asked)
    for question, before, after in changed:
        print(f"{question.where}\t{_labels_text(question)}\t{before} -> {after}\t{question.q}")
    print(f"{len(changed)} of {len(asked)} questions change ({args.view}, {args.base} -> this tree)")
    if args.view == "answers":
        result = tally([(q, _numbers(b), _numbers(a)) for q, b, a in changed])
        print(
            f"on the writers' labels: {result.gained} right first gained, {result.lost} lost, "
            f"{result.offtopic_answered} off-topic newly answered, {result.offtopic_declined} newly declined, "
            f"{result.other} other; rule: {'kept' if result.kept else 'not kept'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
