"""Whoosh's multiprocessing writer, made safe to use from ``rebuild()``.

Each forked child indexes batches of documents into its own segment (``multisegment``, no
final merge); jieba's dictionary, loaded before the fork, is shared with the children. This
process reads the sources and indexes a batch itself whenever every child has work queued,
so ``procs`` processes keep ``procs`` cores busy (Whoosh's own writer forks ``procs``
children besides the reader, one process more than there are cores).
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import queue
from multiprocessing.queues import Queue
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

_FORK = multiprocessing.get_context("fork")


class _ForkedSubWriter(SubWriterTask):
    """Whoosh's sub-writer process, always forked (children inherit jieba's dictionary)."""

    _start_method = "fork"
    _Popen = staticmethod(_FORK.Process._Popen)


class ParallelWriter(MpWriter):
    """Whoosh's multiprocessing writer, made to fail loudly instead of hanging or dropping
    documents when a child dies, and to leave no process, pipe or thread behind.

    All children are forked before the first job is queued, while this process has no extra
    thread (the queue's feeder thread starts with the first ``put``). A child inherits the
    open database connection of the source being read but never uses it, and leaves through
    ``os._exit`` (no finalizer runs in it).
    """

    jobqueue: Queue[Any]
    resultqueue: Queue[Any]
    tasks: list[_ForkedSubWriter]
    docbuffer: list[tuple[Any, dict[str, Any]]]

    def __init__(self, ix: Any, procs: int, **kwargs: Any) -> None:
        """``procs``: the processes to use, this one included (at least 2)."""
        super().__init__(ix, procs=max(1, procs - 1), **kwargs)
        for unused in (self.jobqueue, self.resultqueue):  # the default context's; never used
            unused.close()
        self.jobqueue = _FORK.Queue(self.procs * 2)
        self.resultqueue = _FORK.Queue()
        # Frozen objects are never touched by the children's garbage collector, so the pages
        # they share with this process (jieba's dictionary, the app) are not copied.
        gc.freeze()
        try:
            for _ in range(self.procs):
                self._new_task()
        finally:
            gc.unfreeze()

    def _new_task(self) -> Any:
        task = _ForkedSubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                                self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def _put(self, item: Any) -> None:
        while True:
            try:
                self.jobqueue.put(item, timeout=0.5)
                return
            except queue.Full:
                if not all(task.is_alive() for task in self.tasks):
                    raise RuntimeError("a search indexing process died") from None

    def _enqueue(self) -> None:
        if self.jobqueue.full():  # every child is busy: this batch is indexed here
            for _code, fields in self.docbuffer:
                SegmentWriter.add_document(self, **fields)
            self.docbuffer = []
            return
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        try:
            if self.docbuffer:
                self._enqueue()
            for _ in self.tasks:
                self._put(None)
            finalsegments = self._merge_segments(mergetype, optimize, merge)
            # This process's own batches are written out while the children finish theirs.
            own = self._finalize_segment() if self._added else None
            if own is None:
                self._close_segment()
            results: list[Any] = []
            while len(results) < len(self.tasks):
                try:
                    results.append(self.resultqueue.get(timeout=1.0))
                except queue.Empty:
                    if any(task.exitcode not in (None, 0) for task in self.tasks):
                        raise RuntimeError("a search indexing process failed") from None
            for task in self.tasks:
                task.join()
        except BaseException:
            self._stop_tasks()
            raise
        self._release_tasks()
        # A child that got no batch made an empty segment: leave it out (its files are cleaned).
        finalsegments += [segment for _, _, segment in results if segment.doc_count_all()]
        if own is not None:
            finalsegments.append(own)
        self._commit_toc(finalsegments)
        self._finish()

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        if self._added_sub:
            self._commit(mergetype, optimize, merge)
        else:  # nothing was added: the children have nothing to hand back
            self._stop_tasks()
            SegmentWriter.commit(self, mergetype=mergetype, optimize=optimize, merge=merge)

    def cancel(self) -> None:
        self._stop_tasks()
        SegmentWriter.cancel(self)

    def _stop_tasks(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
                task.join(timeout=10)
            if task.is_alive():
                task.kill()
            task.join()
        self.jobqueue.cancel_join_thread()
        self._release_tasks()

    def _release_tasks(self) -> None:
        for task in self.tasks:
            task.close()
        self.tasks = []
        for channel in (self.jobqueue, self.resultqueue):
            channel.close()
            channel.join_thread()
