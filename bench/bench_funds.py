"""Funds and projects at scale: 200,000 spending rows and 20,000 projects.

Builds a throwaway SQLite database with the bulk publisher (the same rules and hash chain as
the site), then serves it with gunicorn (2 sync workers, 127.0.0.1) and measures with wrk
(20 connections, 10 s each, loopback only):

- a Flask hello-world under the same gunicorn configuration (the baseline, same run);
- ``/funds/`` for the province and for one county, ``/projects/?region=<county>``;

then streams ``/funds/export.csv?detail=spending&year=…`` (100,000 rows) and reports the
serving worker's peak RSS before and after. Every server it starts, it stops.

Run by hand: ``.venv/bin/python bench/bench_funds.py`` (about 3 minutes on 2 cores).
"""

from __future__ import annotations

import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
COUNTY = "450102000000"
PROJECTS = 20_000
SPENDING = 200_000
YEARS = (2018, 2019)  # spending is split evenly: one year's export is 100,000 rows
DURATION = 10
CONNECTIONS = 20

HELLO = '''
from flask import Flask
app = Flask("hello")


@app.get("/")
def hello():
    return "hello"
'''


def build(database: Path) -> dict[str, float]:
    from sunshine import create_app
    from sunshine.extensions import db
    from sunshine.funds import bulk
    from sunshine.regions import services as regions

    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": SECRET,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SEARCH_INDEX_DIR": str(database.parent / "index"),
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(4)
    figures = {}
    with app.app_context():
        db.create_all()
        regions.load_builtin_province()
        db.session.flush()
        counties = [r.code for r in regions.list_regions(level=3)]
        regions.generate_demo_villages(counties, 3, 4, rng)
        db.session.commit()
        villages: dict[str, list[str]] = {}
        for village in regions.list_regions(level=5):
            villages.setdefault(village.code[:6] + "000000", []).append(village.code)
        start = time.perf_counter()
        batch = bulk.Batch()
        per_project = SPENDING // PROJECTS
        for n in range(PROJECTS):
            county = counties[n % len(counties)]
            year = YEARS[n % 2]
            fund_index = len(batch.funds)
            batch.funds.append({
                "year": year, "name": f"{year}年财政专项扶贫资金（第{n}批）",
                "document_number": f"桂财农〔{year}〕{n}号", "issuer": "自治区财政厅",
                "source_level": ("中央", "省", "市", "县")[n % 4], "fund_type": "财政专项扶贫资金",
                "amount": Decimal(2_000_000), "region_code": county,
                "issued_on": date(year, 1 + n % 12, 1 + n % 28), "purpose": "基准测试数据"})
            batch.projects.append({
                "name": f"基准项目{n}", "category": ("产业发展", "基础设施", "教育")[n % 3],
                "region_code": rng.choice(villages[county]), "year": year,
                "budget": Decimal(1_000_000), "implementing_unit": "基准实施单位",
                "beneficiary_households": 20, "beneficiary_people": 80,
                "beneficiary_poor_households": 5, "stage": "实施",
                "approved_on": date(year, 1, 15)})
            line_index = len(batch.lines)
            batch.lines.append({"fund": fund_index, "project": n, "amount": Decimal(1_000_000)})
            for k in range(per_project):
                batch.spendings.append({
                    "fund": fund_index, "line": line_index, "amount": Decimal("12345.67"),
                    "paid_on": date(year, 1, 1) + timedelta(days=(n * 7 + k * 13) % 360),
                    "payee": "基准收款单位", "purpose": "工程款", "voucher": f"PZ{n}-{k}"})
        counts = bulk.publish(batch)
        db.session.commit()
        figures["build_s"] = time.perf_counter() - start
        figures.update({k: float(v) for k, v in counts.items()})
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on a free loopback port, stopped on exit."""

    def __init__(self, app: str, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", app], cwd=cwd, env={**os.environ, **env},
            start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url("/"), timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{app} did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wrk(url: str) -> tuple[float, float]:
    """Requests per second and p99 latency in ms (bounded: DURATION seconds)."""
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", url],
                         capture_output=True, text=True, timeout=DURATION + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rate, p99


def peak_rss_mb(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        found[pid] = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    return found


def main() -> None:
    keep = os.environ.get("BENCH_FUNDS_DIR")  # reuse a database built before
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="sunshine-bench-funds-"))
    database = folder / "bench.sqlite"
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    if keep and database.exists():
        figures = {"build_s": 0.0, "spendings": SPENDING, "projects": PROJECTS,
                   "funds": PROJECTS, "entries": 0}
    else:
        folder.mkdir(parents=True, exist_ok=True)
        figures = build(database)
    print(f"built {figures['spendings']:,.0f} spending rows, {figures['projects']:,.0f} projects, "
          f"{figures['funds']:,.0f} allocations, {figures['entries']:,.0f} chain entries "
          f"in {figures['build_s']:.1f} s")
    (folder / "hello.py").write_text(HELLO)
    env = {"SUNSHINE_ENV": "production", "SUNSHINE_SECRET_KEY": SECRET,
           "SUNSHINE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
           "SUNSHINE_SEARCH_INDEX_DIR": str(folder / "index"),
           "SUNSHINE_RATELIMIT_ENABLED": "false", "PYTHONPATH": str(ROOT / "site")}
    results = []
    hello = Server("hello:app", {}, folder)
    try:
        wrk(hello.url("/"))  # warm up
        base, base_p99 = wrk(hello.url("/"))
    finally:
        hello.stop()
    print(f"baseline Flask hello: {base:,.0f} req/s, p99 {base_p99:.1f} ms")
    pages = ["/funds/", f"/funds/?region={COUNTY}", f"/projects/?region={COUNTY}"]
    # First without the page cache: what a page costs when the data has just changed.
    site = Server("sunshine:create_app()", {**env, "SUNSHINE_PAGE_CACHE": "false"}, ROOT)
    try:
        for path in pages:
            for _ in range(5):
                urllib.request.urlopen(site.url(path), timeout=30).read()
            rate, p99 = wrk(site.url(path))
            print(f"uncached {path:31s} {rate:8,.0f} req/s  {rate / base:5.2f}× hello  "
                  f"p99 {p99:6.1f} ms")
    finally:
        site.stop()
    site = Server("sunshine:create_app()", env, ROOT)
    try:
        for path in pages:
            for _ in range(20):
                urllib.request.urlopen(site.url(path), timeout=30).read()
            rate, p99 = wrk(site.url(path))
            ok = rate >= 0.25 * base and p99 <= 50
            results.append((path, rate, rate / base, p99, ok))
            print(f"{path:40s} {rate:8,.0f} req/s  {rate / base:5.2f}× hello  p99 {p99:6.1f} ms"
                  f"  {'met' if ok else 'NOT met'}")
        before = peak_rss_mb(site.workers())
        start = time.perf_counter()
        rows = 0
        size = 0
        path = f"/funds/export.csv?detail=spending&year={YEARS[0]}"
        with urllib.request.urlopen(site.url(path), timeout=600) as response:
            first_byte = None
            for line in response:
                if first_byte is None:
                    first_byte = time.perf_counter() - start
                rows += 1
                size += len(line)
        elapsed = time.perf_counter() - start
        after = peak_rss_mb(site.workers())
    finally:
        site.stop()
    grew = max(after[p] - before.get(p, after[p]) for p in after)
    print(f"CSV export {path}: {rows - 1:,} rows, {size / 1e6:.1f} MB in {elapsed:.1f} s "
          f"(first byte after {first_byte * 1000:.0f} ms); worker peak RSS "
          f"{max(before.values()):.0f} MB before, {max(after.values()):.0f} MB after "
          f"(+{grew:.0f} MB)")
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
