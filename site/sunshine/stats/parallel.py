"""Checking a large CSV in worker processes while the importer writes what they checked.

The importers' checks cost more Python time than the inserts, so the file is cut into pieces
(``csvload.pieces``) that worker processes and the importer itself check, in whatever order
they get to them, and the importer takes the results in file order (``parse_batches``).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from flask import current_app

from sunshine.stats.bulk import scratch_folder
from sunshine.stats.csvload import Batch, batches, piece_batch, pieces

#: How many checked batches a worker may have waiting for the importer.
AHEAD = 3
#: How far past the batch it needs next the importer checks batches itself while it waits.
REACH = 6


def parse_batches(path: Path, lines: Iterator[tuple[int, str]], parse: Callable[[Batch], Any],
                  after: int) -> Iterator[Any]:
    """``parse`` applied to each batch of ``lines`` (the records after line ``after``), in order.

    Checking rows costs more Python time than inserting them, so a large file is checked by
    worker processes while this process writes to the database. The file is cut into pieces
    (``pieces``), numbered; whoever is free claims the next unclaimed one (a counter shared by
    all), so the work balances itself. Each worker reads the file itself and leaves each
    result in a file in memory (/dev/shm), up to ``AHEAD`` ahead. This process takes the
    results in order; when the one it needs is not ready, it checks the next unclaimed piece
    itself rather than wait (up to ``REACH`` ahead). By default one worker per core but one:
    with this process, as many busy processes as cores (with a worker on every core, three
    processes shared two and this one often waited to be scheduled).

    (Results sent through a pipe cross only while both processes run; a
    ``multiprocessing.Pool`` feeds and collects with threads of this process, whose fight
    with the inserting thread for the GIL made it slower than one process.) Workers fork, so
    they inherit whatever ``parse`` reads from its module. The caller may stop early: the
    workers are then stopped.
    """
    workers = worker_count(path)
    if not workers:
        yield from map(parse, batches(lines))
        return
    context = multiprocessing.get_context("fork")
    folder = scratch_folder("sunshine-import-")
    claimed = context.Value("q", 0)  # the lowest piece nobody has claimed
    pipes, slots, processes = [], [], []
    try:
        for _ in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            slot = context.BoundedSemaphore(AHEAD)
            process = context.Process(target=_worker, daemon=True, args=(
                path, after, parse, claimed, sender, slot, folder))
            process.start()
            sender.close()
            pipes.append(receiver)
            slots.append(slot)
            processes.append(process)
        yield from _in_order(path, after, parse, claimed, pipes, slots)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for pipe in pipes:
            pipe.close()
        shutil.rmtree(folder, ignore_errors=True)


def _claim_next(claimed: Any) -> int:
    """Claim the next unclaimed piece; its number."""
    with claimed.get_lock():
        mine = claimed.value
        claimed.value = mine + 1
        return mine


def _claim_if_next(claimed: Any, piece: int) -> bool:
    """Claim ``piece`` if it is the next unclaimed one."""
    with claimed.get_lock():
        if claimed.value != piece:
            return False
        claimed.value = piece + 1
        return True


def _seek(reader: Iterator[tuple[int, tuple[int, bytes]]], piece: int
          ) -> tuple[int, bytes] | None:
    """Read on to ``piece`` (its first line number and bytes); None past the file's end."""
    for i, found in reader:
        if i == piece:
            return found
    return None


def _in_order(path: Path, after: int, parse: Callable[[Batch], Any], claimed: Any,
              pipes: list[Connection], slots: list[Any]) -> Iterator[Any]:
    """The importer's side of ``parse_batches``: every piece's result, in order."""
    reader = enumerate(pieces(path))
    worker_of = {id(pipe): number for number, pipe in enumerate(pipes)}
    waiting = list(pipes)  # the workers still at work
    done: dict[int, Any] = {}  # piece → result checked here, or _Ready (a worker's)
    total: int | None = None  # how many pieces the file has, once known
    nxt = 0
    while total is None or nxt < total:
        if nxt in done:
            found = done.pop(nxt)
            if isinstance(found, _Ready):
                data = found.path.read_bytes()
                found.path.unlink()
                slots[found.worker].release()
                found = pickle.loads(data)
            yield found
            nxt += 1
            continue
        mine: int | None = nxt if _claim_if_next(claimed, nxt) else None
        if mine is None and claimed.value - nxt < REACH and \
                not any(pipe.poll() for pipe in waiting):
            mine = _claim_next(claimed)  # a worker has the next one, not ready: help meanwhile
        if mine is not None:
            piece = _seek(reader, mine)
            if piece is None:
                total = mine if total is None else min(total, mine)
            else:
                done[mine] = parse(piece_batch(path, *piece, after))
            continue
        if not waiting:
            raise RuntimeError("import workers stopped before the file's end")
        for pipe in wait(waiting):
            assert isinstance(pipe, Connection)  # only the workers' pipes are waited on
            try:
                kind, *value = pipe.recv()
            except EOFError:
                raise RuntimeError("an import worker stopped unexpectedly") from None
            if kind == "batch":
                done[value[0]] = _Ready(worker_of[id(pipe)], Path(value[1]))
            elif kind == "done":
                total = value[0] if total is None else min(total, value[0])
                waiting.remove(pipe)
            else:
                raise value[0]


@dataclass
class _Ready:
    worker: int
    path: Path


def worker_count(path: Path) -> int:
    """How many worker processes ``parse_batches`` checks ``path`` with (0: none).
    ``STATS_IMPORT_WORKERS`` (default: one a core but one, at least one; 0: check here) and
    ``STATS_IMPORT_PARALLEL_BYTES`` (smaller files are checked here) tune it."""
    config = current_app.config
    workers = config.get("STATS_IMPORT_WORKERS")
    workers = max(1, (os.cpu_count() or 1) - 1) if workers is None else int(workers)
    threshold = int(config.get("STATS_IMPORT_PARALLEL_BYTES", 4 << 20))
    return 0 if workers < 1 or path.stat().st_size < threshold else workers


def _worker(path: Path, after: int, parse: Callable[[Batch], Any], claimed: Any, pipe: Any,
            slot: Any, folder: Path) -> None:
    """In a worker process: claim the next unclaimed piece, check it, hand it over as a
    file; again, until the file ends ("done" and how many pieces it has) or an error stops
    it (handed over)."""
    try:
        reader = enumerate(pieces(path))
        while True:
            mine = _claim_next(claimed)
            piece = _seek(reader, mine)
            if piece is None:
                pipe.send(("done", mine))
                return
            data = pickle.dumps(parse(piece_batch(path, *piece, after)),
                                protocol=pickle.HIGHEST_PROTOCOL)
            slot.acquire()
            result = folder / f"{mine}.pickle"
            result.write_bytes(data)
            pipe.send(("batch", mine, str(result)))
    except Exception as exc:  # noqa: BLE001  (handed to the importer, which reports it)
        pipe.send(("error", exc))
    finally:
        pipe.close()
