"""Foundation figures: demo build time, search rebuild, and in-process page throughput
relative to a bare Flask "hello" measured in the same run (absolute numbers drift ±40 % on
this shared machine; the ratio holds).

Run by hand: ``.venv/bin/python bench/bench_foundation.py``
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from pathlib import Path

from flask import Flask

from sunshine import create_app
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.search.index import rebuild

PAGES = ["/", "/stats/", "/stats/450102000000", "/api/v1/regions/450100000000",
         "/search?q=南宁", "/login"]
SECONDS = 2.0


def rate(client, path: str) -> tuple[float, float]:
    """Requests per second and p95 latency (ms) over SECONDS of back-to-back requests."""
    times = []
    end = time.perf_counter() + SECONDS
    while time.perf_counter() < end:
        start = time.perf_counter()
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times.append(time.perf_counter() - start)
    return len(times) / sum(times), statistics.quantiles(times, n=20)[18] * 1000


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="sunshine-bench-"))
    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'b.sqlite'}",
                      "SEARCH_INDEX_DIR": str(folder / "index"), "RATELIMIT_ENABLED": False})
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}")
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        build_demo(households=2000, seed=2020, password="bench-password-1")
        print(f"demo build (default size): {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        counts = rebuild(app.config["SEARCH_INDEX_DIR"])
        print(f"search rebuild ({sum(counts.values())} docs): {time.perf_counter() - start:.2f} s")

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")
    base, _ = rate(hello.test_client(), "/")
    print(f"baseline Flask hello (in-process test client): {base:,.0f} req/s")
    client = app.test_client()
    for path in PAGES:
        client.get(path)  # warm caches (jieba, Whoosh searcher)
        per_second, p95 = rate(client, path)
        print(f"{path:36s} {per_second:8,.0f} req/s  {per_second / base:5.2f}× hello  "
              f"p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
