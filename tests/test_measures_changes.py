"""scripts/measures_changes.py: which questions the project has get another answer than from an earlier commit, and
the tally by which a registered step is kept or not."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scripts_support import load_script

changes = load_script("measures_changes")
ROOT = Path(__file__).resolve().parent.parent


def _q(measures: tuple[int, ...]) -> object:
    return changes.Question("x:1", "q", "zh", measures)


def test_the_tally_reads_the_writers_labels() -> None:
    rows = [
        (_q((7,)), [1, 7], [7, 1]),  # the writer's measure now first
        (_q((7,)), [], [7]),  # declined before, right now
        (_q((5, 10)), [5], [22]),  # right first before, not now
        (_q(()), [], [3]),  # off-topic, now answered
        (_q(()), [3], []),  # off-topic, now declined
        (_q((7,)), [7, 1], [7, 2]),  # the same first measure in another order
        (_q(()), [3], [4]),  # off-topic, answered either way
    ]
    result = changes.tally(rows)
    assert (result.gained, result.lost, result.offtopic_answered, result.offtopic_declined, result.other) == (
        2,
        1,
        1,
        1,
        2,
    )
    assert result.kept  # 2 >= 1 + 1
    assert not changes.tally(rows[2:4]).kept


def test_every_question_the_project_has_is_read_with_both_readers_labels() -> None:
    asked = changes.questions(ROOT)
    lines = sum(
        len([line for line in (ROOT / p).read_text("utf-8").splitlines() if line.strip()])
        for p in (
            *changes.SOURCES,
            *(str(f.relative_to(ROOT)) for f in (ROOT / "benchmarks").glob("measures_heldout_*")),
        )
    )
    assert len(asked) == lines > 100_000
    one = changes.questions(ROOT, (52, 52))
    second_file = ROOT / "benchmarks/measures_second_labels_52.jsonl"
    second = [json.loads(line)["measures"] for line in second_file.read_text("utf-8").splitlines()]
    assert [q.second for q in one] == [tuple(m) for m in second]
    assert all(q.where.startswith("measures_heldout_52:") for q in one)
    assert all(q.second is None for q in changes.questions(ROOT, (1, 1)))


@pytest.mark.parametrize(
    ("view", "question", "value"),
    [
        ("asides", "32条是谁印发的", "about_the_notice"),
        ("asides", "32条里哪一条讲评星定级", None),
        ("sections", "措施最后一部分讲什么", 7),
        ("numbers", "第二十三、二十四条讲什么", [23, 24]),
        ("unregulated", "党费怎么交", True),
        ("answers", "支部开会第一项议程应该学什么", [7]),
    ],
)
def test_each_view_is_what_its_rule_says(view: str, question: str, value: object) -> None:
    got = changes.dump(view, [(question, "zh")])[0]
    assert got == value if view != "answers" else got[: len(value)] == value  # type: ignore[arg-type]


def test_a_commit_is_compared_in_a_worktree_that_is_removed_after() -> None:
    """The whole path: a worktree of HEAD, both builds asked in processes of their own, and the worktree removed
    (what changes depends on what is not yet committed here, so only the count asked is checked)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    before = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/measures_changes.py"), "--base", "HEAD", "--view", "sections",
         "--batches", "1-2"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    summary = re.fullmatch(
        r"(\d+) of (\d+) questions change \(sections, HEAD -> this tree\)", result.stdout.splitlines()[-1]
    )
    assert summary is not None and int(summary[2]) == len(changes.questions(ROOT, (1, 2)))
    after = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True)
    assert after.stdout == before.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--base", "HEAD", "--batches", "x"], "--batches: LO-HI or N, not 'x'"),
        (["--base", "HEAD", "--batches", "900-901"], "no held-out batch in 900-901"),
        (["--base", "no-such-commit", "--batches", "1"], "--base: no commit 'no-such-commit'"),
        (["--view", "sections"], "--base is required"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True)
    with pytest.raises(SystemExit) as refused:
        changes.main(arguments)
    assert refused.value.code == 2 and message in capsys.readouterr().err
    after = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True)
    assert after.stdout == before.stdout
