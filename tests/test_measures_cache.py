"""The measures' built index is kept on disk and loaded back (bot/measures/index_cache.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.measures import index_cache
from bot.measures.search import MeasureIndex, build_index


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BRANCHBOT_CACHE_DIR", str(tmp_path))
    return tmp_path


def _answers(index: MeasureIndex) -> list[list[int]]:
    questions = ("党费能用来干什么", "开会第一件事学什么", "支布怎么换届", "今天天气怎么样")
    return [[hit.measure.number for hit in index.answer(q).hits] for q in questions]


def test_kept_index_answers_like_a_fresh_one(folder: Path) -> None:
    built: list[str] = []

    def build(lang: str) -> MeasureIndex:
        built.append(lang)
        return build_index(lang)

    first = index_cache.kept_index("zh", build, MeasureIndex)
    again = index_cache.kept_index("zh", build, MeasureIndex)
    assert built == ["zh"]  # the second came from the file
    assert again is not first and _answers(again) == _answers(first)
    assert [p.suffix for p in folder.iterdir()] == [".pickle"]


def test_a_damaged_file_is_rebuilt(folder: Path) -> None:
    index_cache.kept_index("en", build_index, MeasureIndex)
    (kept,) = folder.iterdir()
    kept.write_bytes(kept.read_bytes()[:1000])
    index = index_cache.kept_index("en", build_index, MeasureIndex)
    assert index.answer("party dues").hits[0].measure.number == 16
    assert index_cache.kept_index("en", lambda lang: pytest.fail("rebuilt"), MeasureIndex) is not None


def test_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANCHBOT_CACHE_DIR", "off")
    assert index_cache.cache_dir() is None
    index_cache.kept_index("en", build_index, MeasureIndex)
    assert list(tmp_path.iterdir()) == []


def test_keeping_a_new_index_removes_all_but_the_newest_of_its_kind(folder: Path) -> None:
    import os

    # Indexes of earlier versions of the code: three of the shipped Chinese one, one of an ablation's, one named
    # the old way, and the English one's.
    older = [folder / f"measures-zh-full-{n:020x}.pickle" for n in range(3)]
    ablation = folder / f"measures-zh-0badcafe-{9:020x}.pickle"
    unsorted = folder / f"measures-zh-{7:020x}.pickle"
    english = folder / f"measures-en-full-{5:020x}.pickle"
    for age, path in enumerate([*older, ablation, unsorted, english]):
        path.write_bytes(b"old")
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    index_cache.kept_index("zh", lambda lang: MeasureIndex.__new__(MeasureIndex), MeasureIndex)
    left = sorted(p.name for p in folder.iterdir())
    new = [name for name in left if name.startswith("measures-zh-full-") and folder.joinpath(name) not in older]
    assert len(new) == 1  # the index just kept, and the newest before it
    assert left == sorted([new[0], older[2].name, ablation.name, english.name])


def test_the_warm_up_gives_back_what_loading_the_indexes_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.jobs import measures as jobs
    from bot.measures import search

    released: list[list[str]] = []
    monkeypatch.setattr(index_cache, "release_freed_memory", lambda: released.append(sorted(search._indexes)))
    jobs.build_indexes()
    assert released == [["en", "zh"]]  # once, after both indexes are loaded
    monkeypatch.undo()
    index_cache.release_freed_memory()  # glibc's malloc_trim here; where there is none, nothing happens
