"""The HTTP half of bench_stats.py: ``/stats/<county>`` under gunicorn (2 sync workers,
loopback, wrk at 20 connections) against Flask's static-file route serving a file of the same
size, with and without the render cache."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(database: Path, cache: bool, secret: str) -> Any:
    port = free_port()
    env = dict(os.environ, SUNSHINE_ENV="production", SUNSHINE_SECRET_KEY=secret,
               SUNSHINE_SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
               SUNSHINE_RATELIMIT_ENABLED="false",
               SUNSHINE_PAGE_CACHE="true" if cache else "false",
               SUNSHINE_SEARCH_INDEX_DIR=str(database.parent / "index"))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "sunshine:create_app()"], env=env, cwd=ROOT,
        start_new_session=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wrk(url: str, seconds: int = 10, connections: int = 20) -> tuple[float, float]:
    """Requests per second and p99 latency (ms)."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    value = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, out
    return rate, value


def http(database: Path, county: str, secret: str) -> dict[str, tuple[float, float]]:
    """Requests per second and p99 (ms) of the static file and the page, uncached and
    cached; and the page's size."""
    import urllib.request

    results: dict[str, tuple[float, float]] = {}
    static_dir = ROOT / "static" / "_bench_stats"
    static_dir.mkdir(exist_ok=True)
    try:
        for cache in (False, True):
            with gunicorn(database, cache, secret) as base:
                page = urllib.request.urlopen(f"{base}/stats/{county}").read()
                (static_dir / "page.html").write_bytes(page)
                for _ in range(2):  # warm both workers
                    urllib.request.urlopen(f"{base}/stats/{county}").read()
                    urllib.request.urlopen(f"{base}/static/_bench_stats/page.html").read()
                if not cache:
                    results["static"] = wrk(f"{base}/static/_bench_stats/page.html")
                name = "stats, render cache" if cache else "stats, no cache"
                results[name] = wrk(f"{base}/stats/{county}")
                results["page bytes"] = (float(len(page)), 0.0)
    finally:
        shutil.rmtree(static_dir, ignore_errors=True)
    return results
