"""gunicorn's settings for the site, read when gunicorn starts in this folder
(``gunicorn 'sunshine:create_app()'``, see README)."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once a worker has loaded the app, the objects it made (the app, its templates, the
    database mappers: some 400,000) are set aside from the garbage collector. They live as
    long as the worker, and each full collection would otherwise walk them all to free
    nothing: 60-160 ms for the request that happens to trigger it, 0.3 ms once frozen."""
    gc.freeze()
