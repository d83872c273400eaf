"""Every public page of the demo site under load, against Flask's hello-world in the same run.

The demo province at the ``sunshine demo`` default size is built in a temporary folder with its
search index; every public GET rule of ``app.url_map`` (not /admin, not static) gets one URL
filled from real rows (bench/site_urls.py; the run stops naming a rule it cannot fill), the
secret links with real tokens minted for the run. gunicorn
(2 sync workers, loopback, ``SUNSHINE_ENV=production``) serves it, and wrk (2 threads, 20
connections) loads each URL in five passes, each with its own hello-world baseline under the
same gunicorn settings:

1. anonymous; 2. a logged-in citizen (the demo donor, or a seller on the seller's own pages);
3. anonymous with every page cache switched off; 4. anonymous while a county staff member saves
one notice draft a second in a random county; 5. a conditional GET (If-None-Match with the
page's ETag, answered 304) of every page that has an ETag.

Run by hand: ``.venv/bin/python bench/bench_site.py`` (needs wrk: ``apt-get install -y wrk``).
About 35 minutes at the default 5 s a URL; ``--quick`` (1 s a URL) about 10 minutes.
Options: ``--seconds S``, ``--households N``, ``--markdown`` (the RESULTS.md form), ``--only
TEXT`` (rules containing TEXT, to look at a few pages).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from search_http import HELLO_APP, Server, load
from site_http import Figure, Visitor, Writer, wrk
from site_urls import PASSWORD, build_site, fill, public_rules, secret_links

PASSES = ("anonymous", "logged-in", "cache off", "with writes", "304")


@dataclass
class Route:
    rule: str
    url: str
    anonymous: bool  # an anonymous visitor gets a 200 (else only a logged-in citizen does)
    cookie: str | None  # the Cookie header of a citizen who gets it (None: none does)
    etag: str | None = None


@dataclass
class Target:
    name: str
    passname: str
    floor: float  # every route's ratio to hello
    median: float | None = None  # the median route's ratio
    p99: float | None = None  # ms, every route


TARGETS = [Target("anonymous ≥ 0.25× hello, p99 ≤ 50 ms", "anonymous", 0.25, p99=50.0),
           Target("logged-in citizen ≥ 0.2× hello", "logged-in", 0.2),
           Target("page cache off ≥ 0.1× hello, median route ≥ 0.15×", "cache off", 0.1,
                  median=0.15),
           Target("one write a second: anonymous ≥ 0.2× hello", "with writes", 0.2),
           Target("304 to a conditional GET ≥ 0.8× hello", "304", 0.8)]


@dataclass
class Run:
    hello: dict[str, Figure] = field(default_factory=dict)
    figures: dict[str, dict[str, Figure]] = field(default_factory=dict)  # pass -> rule -> figure
    unmeasured: dict[str, list[str]] = field(default_factory=dict)  # pass -> "rule: why"

    def ratio(self, passname: str, rule: str) -> float:
        return self.figures[passname][rule].rate / self.hello[passname].rate


def accounts(database: Path) -> tuple[str, str]:
    """The demo donor, and the seller who has an inquiry (the seller's pages need one)."""
    with sqlite3.connect(database) as con:
        donor = con.execute("SELECT username FROM user_account WHERE role = 'donor' "
                            "ORDER BY id").fetchone()
        seller = con.execute("SELECT u.username FROM market_inquiry i JOIN market_seller s "
                             "ON s.id = i.seller_id JOIN user_account u ON u.id = s.user_id"
                             ).fetchone()
    if donor is None or seller is None:
        raise SystemExit("bench_site: the demo has no donor account or no seller inquiry")
    return str(donor[0]), str(seller[0])


def routes(port: int, database: Path, only: str, links: dict[str, str]) -> list[Route]:
    """One URL a public rule (``links``: the secret links'), and who gets it: anonymous
    visitors, and the donor or else the seller (a logged-in visitor is sent away from
    /register, for one)."""
    donor, seller = accounts(database)
    visitors = {"": Visitor(port)}
    cookies = {"": ""}
    for name in (donor, seller):
        visitors[name] = Visitor(port)
        cookies[name] = visitors[name].login(name, PASSWORD)
    seen: dict[str, list[str]] = {}

    def answers(url: str) -> bool:
        seen[url] = [name for name, visitor in visitors.items() if visitor.get(url)[0] == 200]
        return bool(seen[url])

    found: list[Route] = []
    for rule, arguments in public_rules():
        if only not in rule:
            continue
        url = fill(rule, arguments, database, answers, links)
        citizen = next((name for name in seen[url] if name), None)
        route = Route(rule, url, "" in seen[url], cookies[citizen] if citizen else None)
        if route.anonymous:  # as wrk asks: no cookie (a form's CSRF token changes the page)
            etag = Visitor(port).get(url)[1].get("ETag")
            if etag and Visitor(port).get(url, {"If-None-Match": etag})[0] == 304:
                route.etag = etag
        found.append(route)
    return found


def warm(port: int, found: list[Route]) -> None:
    """Each page twice a worker, so that the first requests measured find warm caches."""
    for route in found:
        for _ in range(4):
            Visitor(port).get(route.url, {} if route.anonymous else {"Cookie": route.cookie or ""})


def measure(run: Run, passname: str, hello_port: int, port: int, found: list[Route],
            seconds: float, headers: Callable[[Route], dict[str, str] | None]) -> None:
    """One pass; hello is measured before and after it, and the ratios are to the mean of the
    two (the machine's speed drifts within a pass)."""
    print(f"\n{passname} (load average {load()})", flush=True)
    before = wrk(hello_port, "/", seconds)
    figures = run.figures.setdefault(passname, {})
    for route in found:
        sent = headers(route)
        if sent is None:
            continue
        status = Visitor(port).get(route.url, sent)[0]
        if status != (304 if "If-None-Match" in sent else 200):
            print(f"  {route.url:<48} not measured: answers {status}", flush=True)
            run.unmeasured.setdefault(passname, []).append(f"`{route.rule}` answers {status}")
            continue
        figures[route.rule] = figure = wrk(port, route.url, seconds, sent)
        print(f"  {route.url:<48} {figure.rate:>8,.0f} req/s", flush=True)
    after = wrk(hello_port, "/", seconds)
    run.hello[passname] = Figure((before.rate + after.rate) / 2, before.p50, before.p99,
                                 before.failures + after.failures)
    print(f"{passname}: hello {before.rate:,.0f} req/s before, {after.rate:,.0f} after\n"
          f"  {'route':<48} {'req/s':>8} {'× hello':>8} {'p50 ms':>8} {'p99 ms':>8} failed")
    for rule, figure in figures.items():
        print(f"  {rule:<48} {figure.rate:>8,.0f} {run.ratio(passname, rule):>8.2f} "
              f"{figure.p50:>8.1f} {figure.p99:>8.1f} {figure.failures or ''}", flush=True)


def verdicts(run: Run) -> list[tuple[Target, bool, str]]:
    """Each target: met or not, and its worst routes."""
    out = []
    for target in TARGETS:
        figures = run.figures.get(target.passname, {})
        if not figures:
            out.append((target, False, "not measured"))
            continue
        ratios = sorted((run.ratio(target.passname, rule), rule) for rule in figures)
        below = [f"`{rule}` {ratio:.2f}×" for ratio, rule in ratios if ratio < target.floor]
        slow = ([f"`{rule}` p99 {f.p99:.0f} ms" for rule, f in figures.items()
                 if f.p99 > target.p99] if target.p99 is not None else [])
        median = statistics.median(ratio for ratio, _ in ratios)
        median_ok = target.median is None or median >= target.median
        worst = below[:5] + slow[:3] or [f"worst `{ratios[0][1]}` {ratios[0][0]:.2f}×"]
        note = (f"{len(below)} of {len(ratios)} routes below, " if below else "") + \
            (f"{len(slow)} over p99, " if slow else "") + f"median {median:.2f}×; " + \
            ", ".join(worst)
        unmeasured = run.unmeasured.get(target.passname, [])
        if unmeasured:
            note += f"; not measured: {', '.join(unmeasured)}"
        out.append((target, not below and not slow and median_ok and not unmeasured, note))
    return out


def text_report(run: Run, found: list[Route]) -> None:
    print("\nsummary")
    for target, met, note in verdicts(run):
        print(f"  {'met   ' if met else 'MISSED'} {target.name}: {note}")
    login_only = [r.rule for r in found if not r.anonymous]
    if login_only:
        print(f"  logged-in only (not in the anonymous passes): {', '.join(login_only)}")
    anonymous_only = [r.rule for r in found if r.cookie is None]
    if anonymous_only:
        print(f"  not for a logged-in citizen (not in that pass): {', '.join(anonymous_only)}")
    no_etag = [r.rule for r in found if r.anonymous and r.etag is None]
    if no_etag:
        print(f"  no ETag, or no 304 to it (not in the 304 pass): {', '.join(no_etag)}")


def markdown_report(run: Run, found: list[Route], seconds: float) -> None:
    print(f"\n## bench_site.py — {datetime.now(UTC):%Y-%m-%d}, machine "
          f"\"{platform.node()}\" ({os.cpu_count()} cores, {platform.machine()}, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, wrk)\n")
    hello = ", ".join(f"{p} {f.rate:,.0f}" for p, f in run.hello.items())
    print(f"gunicorn 2 sync workers on 127.0.0.1, wrk `-t2 -c20 -d{seconds:.0f}s` a URL, the "
          f"Flask hello-world measured before and after each pass (mean req/s: {hello}); load "
          f"average {load()} at the end.\n")
    print("| target | verdict | worst routes |\n|---|---|---|")
    for target, met, note in verdicts(run):
        print(f"| {target.name} | {'met' if met else '**missed**'} | {note} |")
    print("\n| route | URL | anonymous req/s (× hello, p99) | logged-in × | cache off × | "
          "with writes × | 304 × |\n|---|---|---|---|---|---|---|")
    for route in found:
        cells = []
        for passname in PASSES:
            figure = run.figures.get(passname, {}).get(route.rule)
            if figure is None:
                cells.append("—")
            elif passname == "anonymous":
                cells.append(f"{figure.rate:,.0f} ({run.ratio(passname, route.rule):.2f}×, "
                             f"{figure.p99:.0f} ms)")
            else:
                cells.append(f"{run.ratio(passname, route.rule):.2f}×")
        print(f"| `{route.rule}` | `{route.url}` | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk time a URL (default 5)")
    parser.add_argument("--quick", action="store_true", help="1 s a URL: proves the run works")
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--markdown", action="store_true", help="the summary for RESULTS.md")
    parser.add_argument("--only", default="", help="only the rules containing this text")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench_site: wrk is not installed; install it with `apt-get install -y wrk`",
              file=sys.stderr)
        return 2
    seconds = 1.0 if args.quick else args.seconds
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="bench_site_"))
    servers: list[Server] = []
    secret = "bench-site-" + "x7Qp" * 10
    try:
        print(f"building the demo site in {folder}", flush=True)
        env = build_site(folder, secret, args.households)
        from sunshine.config import default_config

        env.update({"SUNSHINE_ENV": "production", "SUNSHINE_SECRET_KEY": secret,
                    "SUNSHINE_RATELIMIT_ENABLED": "false"})
        cache_off = {f"SUNSHINE_{key}": "false" for key in default_config(str(folder))
                     if key.endswith("PAGE_CACHE")}
        (folder / "hello_app.py").write_text(HELLO_APP, encoding="utf-8")
        hello = Server("hello_app:app", {}, folder, folder / "hello.log")
        servers.append(hello)
        site = Server("sunshine:create_app()", env, folder, folder / "site.log")
        servers.append(site)
        bare = Server("sunshine:create_app()", {**env, **cache_off}, folder, folder / "bare.log")
        servers.append(bare)
        found = routes(site.port, folder / "demo.sqlite", args.only,
                       secret_links(folder, secret))
        public = sum(r.anonymous for r in found)
        print(f"{len(found)} public GET rules, {public} open to anonymous visitors; page cache "
              f"off with {', '.join(cache_off)}; about "
              f"{(4 * public + len(found) + 5) * (seconds + 0.3) / 60:.0f} min of load",
              flush=True)
        warm(site.port, found)
        warm(bare.port, found)
        run = Run()
        measure(run, "anonymous", hello.port, site.port, found, seconds,
                lambda r: {} if r.anonymous else None)
        measure(run, "logged-in", hello.port, site.port, found, seconds,
                lambda r: {"Cookie": r.cookie} if r.cookie else None)
        measure(run, "cache off", hello.port, bare.port, found, seconds,
                lambda r: {} if r.anonymous else None)
        with sqlite3.connect(folder / "demo.sqlite") as con:
            counties = [c for (c,) in con.execute("SELECT code FROM region WHERE level = 3")]
        writer = Writer(site.port, counties, PASSWORD)
        writer.start()
        try:
            measure(run, "with writes", hello.port, site.port, found, seconds,
                    lambda r: {} if r.anonymous else None)
        finally:
            writer.stop()
        print(f"  background writes: {writer.saved} notice drafts saved, {writer.refused} "
              "refused", flush=True)
        if writer.saved == 0:
            raise SystemExit("bench_site: the background writer saved nothing; see the log in "
                             f"{folder}")
        measure(run, "304", hello.port, site.port, found, seconds,
                lambda r: {"If-None-Match": r.etag} if r.anonymous and r.etag else None)
    finally:
        for server in servers:
            server.stop()
    text_report(run, found)
    if args.markdown:
        markdown_report(run, found, seconds)
    print(f"\n{time.monotonic() - started:.0f} s in all; the demo folder {folder} is removed",
          flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
