"""The thread that keeps a serving process's index following the search outbox.

It starts with the first request a process serves, not when the app is made: the ``sunshine``
commands make the app too and must not start it, and gunicorn may make the app in its master
process (``--preload``) and fork the workers from it, where a thread of the master does not
exist. Each worker of a server runs one; the node's lock file lets one of them apply at a time
(the others skip that turn) and their searchers see the new documents at the next query.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask

from sunshine.search import node

log = logging.getLogger(__name__)

#: How often the thread deletes what every node has applied.
PRUNE_SECONDS = 600
#: After failures the thread waits twice as long each time, up to this many seconds.
MAX_PAUSE = 60.0


class Follower:
    """The applying thread of one app in one process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="search-apply", daemon=True)

    def _run(self) -> None:
        interval = float(self.app.config["SEARCH_APPLY_INTERVAL"])
        pause, pruned, cold = interval, 0.0, True
        while not self.stopping.is_set():
            try:
                with self.app.app_context():
                    if cold:  # the dictionaries load now, not when the first change arrives
                        cold = False
                        node.warm_up()
                    node.apply_pending(wait=False)
                    if time.monotonic() - pruned > PRUNE_SECONDS:
                        node.prune()
                        pruned = time.monotonic()
                pause = interval
            except Exception:  # keep following: the next turn may succeed (database back up)
                log.exception("search: applying the outbox failed; next try in %.0f s", pause)
                pause = min(pause * 2, MAX_PAUSE)
            self.stopping.wait(pause)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)


_FOLLOWERS: dict[int, Follower] = {}
_LOCK = threading.Lock()


def start(app: Flask) -> Follower:
    """The app's thread in this process, started if it is not running yet."""
    with _LOCK:
        follower = _FOLLOWERS.get(id(app))
        if follower is None or follower.pid != os.getpid() or not follower.thread.is_alive():
            follower = _FOLLOWERS[id(app)] = Follower(app)
            follower.thread.start()
        return follower


def stop(app: Flask) -> None:
    with _LOCK:
        follower = _FOLLOWERS.pop(id(app), None)
    if follower is not None and follower.pid == os.getpid():
        follower.stop()


def init_app(app: Flask) -> None:
    """With ``SEARCH_APPLY_THREAD``, start the thread at the first request of each process."""
    if not app.config["SEARCH_APPLY_THREAD"]:
        return

    def ensure_following() -> None:
        follower = _FOLLOWERS.get(id(app))
        if follower is None or follower.pid != os.getpid():
            start(app)

    app.before_request(ensure_following)
