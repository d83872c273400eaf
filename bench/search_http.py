"""The HTTP half of bench_search.py: the demo site and a Flask hello-world under gunicorn
(2 sync workers, 127.0.0.1), loaded with wrk when installed, else a small Python load
generator; and the small helpers both halves use."""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load() -> str:
    """The 1-minute load average: other work on this shared machine, which the figures feel."""
    return Path("/proc/loadavg").read_text().split()[0]


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def add(self, what: str, figure: str) -> None:
        self.rows.append((what, figure))
        print(f"  {what}: {figure}", flush=True)

    def markdown(self) -> str:
        lines = ["| what | figure |", "|---|---|"]
        lines += [f"| {w} | {f} |" for w, f in self.rows]
        return "\n".join(lines)


HELLO_APP = """from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
"""


def build_demo_site(folder: Path, secret: str) -> dict[str, str]:
    """The demo database and its search index; returns the environment for gunicorn."""
    from sunshine import create_app
    from sunshine.content.services import sync_folder
    from sunshine.demo.services import build_demo
    from sunshine.extensions import db
    from sunshine.search.index import rebuild

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite'}",
                "SEARCH_INDEX_DIR": str(folder / "index")}
    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": secret, **settings})
    with app.app_context():
        db.create_all()
        build_demo(households=2000, seed=2020, password="bench-password-1")
        sync_folder(REPO / "content")
        counts = rebuild(settings["SEARCH_INDEX_DIR"])
        print(f"  demo site: {sum(counts.values())} documents indexed {counts}", flush=True)
        db.session.remove()
        db.engine.dispose()
    return {f"SUNSHINE_{k}": v for k, v in settings.items()}


class Server:
    """gunicorn, 2 sync workers, on a free loopback port; stopped by its own pid."""

    def __init__(self, app_spec: str, env: dict[str, str], chdir: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--chdir", str(chdir), "--log-level", "warning", app_spec],
            env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log}")
            try:
                status, _ = fetch(self.port, "/")
                if status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load_wrk(port: int, path: str, seconds: float) -> tuple[float, float, int]:
    """req/s, p99 ms and the count of failures, from wrk (2 threads, 20 connections)."""
    out = subprocess.run(["wrk", "-t2", "-c20", f"-d{seconds:.0f}s", "--latency",
                          f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    if errors:
        failures += int(errors.group(1)) + int(errors.group(4))
    return rate, float(p99.group(1)) * scale, failures


def load_python(port: int, path: str, seconds: float, threads: int = 8,
                most: int = 100_000) -> tuple[float, float, int]:
    """The same from Python threads, a new connection per request (sync workers close them)."""
    times: list[float] = []
    failures = [0]
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def worker() -> None:
        mine = []
        while time.perf_counter() < end and len(mine) < most // threads:
            start = time.perf_counter()
            try:
                status, _ = fetch(port, path)
                ok = status == 200
            except OSError:
                ok = False
            mine.append(time.perf_counter() - start)
            if not ok:
                with lock:
                    failures[0] += 1
        with lock:
            times.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    return len(times) / elapsed, pct(times, 0.99) * 1000, failures[0]


def http_figures(folder: Path, report: Report, seconds: float, rounds: int) -> None:
    from urllib.parse import quote

    secret = "bench-" + "k3Y9".join(str(random.Random(1).random()) for _ in range(3))
    env = build_demo_site(folder, secret)
    env.update({"SUNSHINE_ENV": "testing", "SUNSHINE_SECRET_KEY": secret})
    (folder / "hello_app.py").write_text(HELLO_APP, encoding="utf-8")
    article = "/policies/2019-weifang-gaizao-butie"
    search_page = "/search?q=" + quote("危房改造")
    drive = load_wrk if shutil.which("wrk") else load_python
    tool = "wrk -t2 -c20" if drive is load_wrk else "Python threads (8)"
    servers = []
    try:
        hello = Server("hello_app:app", {}, folder, folder / "hello.log")
        servers.append(hello)
        site = Server("sunshine:create_app()", env, folder, folder / "site.log")
        servers.append(site)
        bare = Server("sunshine:create_app()", {**env, "SUNSHINE_PAGE_CACHE": "false"}, folder,
                      folder / "bare.log")
        servers.append(bare)
        for path in (article, search_page):
            status, body = fetch(site.port, path)
            assert status == 200, (path, status, body[:300])
        assert "危房改造" in fetch(site.port, search_page)[1].decode()
        # Warm every worker (jieba, the searcher, Jinja's template cache) before measuring.
        for port, path in ((hello.port, "/"), (site.port, article), (site.port, search_page),
                           (bare.port, article), (bare.port, search_page)):
            drive(port, path, 2)
        figures: dict[str, list[tuple[float, float, int]]] = {
            "hello": [], "article": [], "search": [], "article uncached": [],
            "search uncached": []}
        loads = []
        for _ in range(rounds):
            loads.append(load())
            figures["hello"].append(drive(hello.port, "/", seconds))
            figures["article"].append(drive(site.port, article, seconds))
            figures["search"].append(drive(site.port, search_page, seconds))
            figures["article uncached"].append(drive(bare.port, article, seconds))
            figures["search uncached"].append(drive(bare.port, search_page, seconds))
            print("  round: " + ", ".join(f"{k} {v[-1][0]:,.0f} req/s"
                                          for k, v in figures.items()), flush=True)
    finally:
        for server in servers:
            server.stop()
    best = {k: max(v) for k, v in figures.items()}  # each at its best round
    fails = sum(f for v in figures.values() for _, _, f in v)
    report.add("load generator / rounds", f"{tool}, {rounds} rounds of {seconds:.0f} s each, "
               f"best round per page; {fails} failed requests; load average before each round "
               f"{', '.join(loads)}")
    report.add("Flask hello (baseline)", f"{best['hello'][0]:,.0f} req/s, p99 "
               f"{best['hello'][1]:.1f} ms")
    ratio_article = best["article"][0] / best["hello"][0]
    ratio_search = best["search"][0] / best["article"][0]
    report.add(f"article page {article}", f"{best['article'][0]:,.0f} req/s ({ratio_article:.2f}× "
               f"hello; target ≥ 0.3×: {'met' if ratio_article >= 0.3 else 'MISSED'}), p99 "
               f"{best['article'][1]:.1f} ms")
    report.add("search page /search?q=危房改造",
               f"{best['search'][0]:,.0f} req/s ({ratio_search:.2f}× article; target ≥ 0.5×: "
               f"{'met' if ratio_search >= 0.5 else 'MISSED'}), p99 {best['search'][1]:.1f} ms")
    for name in ("article uncached", "search uncached"):
        report.add(f"{name} (SUNSHINE_PAGE_CACHE=false: every request rendered)",
                   f"{best[name][0]:,.0f} req/s ({best[name][0] / best['hello'][0]:.2f}× hello), "
                   f"p99 {best[name][1]:.1f} ms")
