"""Checking a file in worker processes and in the importer (``parallel.parse_batches``): the
results come in file order, the same as checked in one process, whoever checked each piece;
the importer checks pieces itself while it waits; an error anywhere stops the import; and
stopping early leaves no process or file behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sunshine.stats import csvload, parallel
from sunshine.stats.csvload import Batch

IMPORTER = os.getpid()


def _file(tmp_path: Path, lines: int) -> Path:
    path = tmp_path / "f.csv"
    path.write_text("n,text\n" + "".join(f"{i},行{i}\n" for i in range(1, lines + 1)),
                    encoding="utf-8")
    return path


def _parse(batch: Batch) -> tuple[list[int], list[str], int]:
    """What a batch holds, and which process checked it (the importer slower than the
    workers, so that both check some: on these tiny pieces a worker process would otherwise
    hardly have started before the importer has checked them all)."""
    time.sleep(0.01 if os.getpid() == IMPORTER else 0.002)
    return list(batch.numbers), [t.rstrip("\n") for t in batch.texts], os.getpid()


def _run(path: Path, parse=_parse) -> list[tuple[list[int], list[str], int]]:
    lines = csvload.logical_lines(path)
    after, _ = csvload.header(path, lines, {"n"})
    return list(parallel.parse_batches(path, lines, parse, after))


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_in_file_order_whoever_checks_them(app, tmp_path, monkeypatch,
                                                        workers) -> None:
    monkeypatch.setattr(csvload, "PIECE_BYTES", 64)
    path = _file(tmp_path, 200)
    app.config.update(STATS_IMPORT_WORKERS=0)
    serial = _run(path)
    app.config.update(STATS_IMPORT_WORKERS=workers, STATS_IMPORT_PARALLEL_BYTES=0)
    results = _run(path)
    numbers = [n for result in results for n in result[0]]
    assert numbers == list(range(2, 202))  # every line once, in order
    assert [t for r in results for t in r[1]] == [t for r in serial for t in r[1]]
    checkers = {pid for _, _, pid in results}
    assert IMPORTER in checkers and len(checkers - {IMPORTER}) >= 1


def test_more_workers_than_pieces(app, tmp_path) -> None:
    path = _file(tmp_path, 3)
    app.config.update(STATS_IMPORT_WORKERS=4, STATS_IMPORT_PARALLEL_BYTES=0)
    assert [n for result in _run(path) for n in result[0]] == [2, 3, 4]


@pytest.mark.parametrize("where", ["worker", "importer"])
def test_an_error_in_any_process_stops_the_import(app, tmp_path, monkeypatch, where) -> None:
    monkeypatch.setattr(csvload, "PIECE_BYTES", 64)
    path = _file(tmp_path, 200)
    app.config.update(STATS_IMPORT_WORKERS=1, STATS_IMPORT_PARALLEL_BYTES=0)

    def parse(batch: Batch) -> int:
        """Fails in the process under test at its first piece; the other process is slow,
        so that the one under test surely checks some piece whatever the machine's load."""
        here = os.getpid() == IMPORTER
        if here == (where == "importer"):
            raise ValueError(f"第 {batch.numbers[0]} 行：坏了")
        time.sleep(0.05)
        return len(batch.numbers)

    monkeypatch.setattr(parallel, "REACH", 1000)  # the importer may check any piece
    with pytest.raises(ValueError, match=r"第 \d+ 行：坏了"):
        _run(path, parse)
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_stopping_early_stops_the_workers_and_removes_their_files(app, tmp_path,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(csvload, "PIECE_BYTES", 64)
    path = _file(tmp_path, 200)
    app.config.update(STATS_IMPORT_WORKERS=2, STATS_IMPORT_PARALLEL_BYTES=0)
    before = set(Path("/dev/shm").glob("sunshine-import-*")) if Path("/dev/shm").is_dir() \
        else set()
    lines = csvload.logical_lines(path)
    after, _ = csvload.header(path, lines, {"n"})
    results = parallel.parse_batches(path, lines, _parse, after)
    first = next(results)
    assert first[0][0] == 2
    results.close()  # the caller stops (too many errors, say)
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.is_alive()]
    after_run = set(Path("/dev/shm").glob("sunshine-import-*")) if Path("/dev/shm").is_dir() \
        else set()
    assert after_run <= before
