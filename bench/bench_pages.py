"""What one request of every public route costs in itself: CPU milliseconds in-process, page
cache off, against Flask's hello-world in the same process.

bench_site.py measures throughput under gunicorn and wrk, which needs a quiet machine; this one
counts the CPU time of the request alone (``time.process_time``), so it stays readable on a
busy machine and shows where a page's time goes (``--profile``). The demo province is built
once in ``--folder`` (default /tmp/bench_pages) and reused by later runs.

On the machine of bench/RESULTS.md, a route's throughput under bench_site.py relates to its
in-process time roughly as wall ≈ 1.35 × in-process + 0.1 ms, so the cache-off targets of
bench_site.py (median route ≥ 0.15× hello, every route ≥ 0.1×) mean about ≤ 1.3 ms for the
median route and ≤ 2.0 ms for every route here (≈ 14× and 22× the in-process hello).

``--conditional`` measures instead, with the page cache on, the 304 that an anonymous visitor's
conditional GET (If-None-Match with the page's ETag) of every kept route gets: the WSGI app
called with a ready environ, as gunicorn calls it, against Flask's hello called the same way.
Each route shows the data-version counters its 304 depends on (0: kept until a restart), and
whether Flask or the front answered; the routes that read versions are compared with the
cheapest of them.

Run by hand:
``.venv/bin/python bench/bench_pages.py [--only TEXT] [--profile] [--logged-in | --seller]
[--cache | --conditional]`` (``--cache``: the page cache on, so a kept page is timed as the
front answers it).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench_site import accounts
from site_urls import PASSWORD, build_site, fill, public_rules, secret_links

SECRET = "bench-pages-" + "x7Qp" * 10


def cpu_ms(get, url: str, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Mean CPU milliseconds of one GET of ``url`` after one warming request."""
    get(url)
    started = time.process_time()
    for _ in range(repeat):
        get(url)
    return (time.process_time() - started) / repeat * 1000


def wsgi_get(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
             ) -> Callable[[], str]:
    """A GET of ``app`` as a WSGI server makes it (a fresh copy of ``environ``); returns the
    status line."""
    def get() -> str:
        status: list[str] = []
        answer = app(dict(environ), lambda line, headers, exc_info=None: status.append(line))
        try:
            for _ in answer:
                pass
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()  # Flask's teardown
        return status[0]

    return get


#: Conditional mode: each route is timed in this many rounds, all routes in turn, and its
#: cheapest round counts (the machine's load drifts within a run).
ROUNDS = 5


def conditional(app: Any, urls: list[str], repeat: int, profile: bool) -> int:
    """The CPU cost of the 304 of every kept route, in-process, against hello's 200; the
    routes that read data versions (all but those kept until a restart) against the
    cheapest of them."""
    from flask import Flask
    from werkzeug.test import EnvironBuilder

    from sunshine import pagecache

    reached: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: reached.append("flask") and None)
    hello = Flask("hello")
    hello.route("/")(lambda: "Hello, World!")
    gets = {"hello": wsgi_get(hello, EnvironBuilder("/").get_environ())}
    counters: dict[str, int] = {}
    client = app.test_client()
    for url in urls:
        client.get(url)
        etag = client.get(url).headers.get("ETag")
        if etag is None:
            print(f"no ETag: {url}")
            continue
        path, _, query = url.partition("?")
        environ = EnvironBuilder(path, query_string=query,
                                 headers={"If-None-Match": etag}).get_environ()
        get = wsgi_get(app, environ)
        if not get().startswith("304"):
            print(f"no 304 to its ETag: {url}")
            continue
        gets[url] = get
        entry = pagecache.store(app).get(pagecache.request_key(environ))
        counters[url] = len(pagecache.versions.reads(entry.scopes).wanted) if entry else -1
    best: dict[str, float] = {}
    where: dict[str, str] = {}
    for _ in range(ROUNDS):
        for url, get in gets.items():
            reached.clear()
            ms = cpu_ms(lambda _, get=get: get(), url, max(1, repeat // ROUNDS))  # type: ignore[misc]
            best[url] = min(best.get(url, ms), ms)
            where[url] = "flask" if reached else "front"
    hello_ms = best.pop("hello")
    print(f"Flask hello in-process (WSGI): {hello_ms:.3f} ms; the cheapest of {ROUNDS} rounds")
    figures = sorted((ms, url) for url, ms in best.items())
    reading = [ms for ms, url in figures if counters[url] != 0]
    cheapest = reading[0] if reading else 1.0
    print(f"{'ms':>8} {'× hello':>8} {'× cheapest':>10} {'counters':>8} answered by")
    for ms, url in figures:
        read = counters[url]
        ratio = f"{ms / cheapest:10.2f}" if read else f"{'-':>10}"
        print(f"{ms:8.3f} {ms / hello_ms:8.2f} {ratio} {read if read >= 0 else '?':>8} "
              f"{where[url]:<5}  {url}")
    if figures:
        over = [ms for ms in reading if ms > 1.2 * cheapest]
        print(f"median {statistics.median(ms for ms, _ in figures):.3f} ms; of the "
              f"{len(reading)} routes that read versions, over 1.2× the cheapest: {len(over)}; "
              f"answered by Flask: {sum(w == 'flask' for w in where.values())}")
    if profile:
        run = cProfile.Profile()
        run.enable()
        for _ in range(20):
            for get in gets.values():
                get()
        run.disable()
        stats = pstats.Stats(run, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--folder", default="/tmp/bench_pages", help="the demo site, reused")
    parser.add_argument("--only", default="", help="only the rules containing this text")
    parser.add_argument("--repeat", type=int, default=30, help="requests a route (default 30)")
    parser.add_argument("--profile", action="store_true", help="cProfile the chosen routes")
    parser.add_argument("--logged-in", action="store_true", help="as the demo donor")
    parser.add_argument("--seller", action="store_true",
                        help="as the demo seller who has an inquiry (the seller's own pages)")
    parser.add_argument("--cache", action="store_true",
                        help="page cache on: what a kept page costs when the front answers it")
    parser.add_argument("--conditional", action="store_true",
                        help="the 304 of every kept route, page cache on, anonymous")
    args = parser.parse_args()
    folder = Path(args.folder)
    if not (folder / "demo.sqlite").exists():
        folder.mkdir(parents=True, exist_ok=True)
        build_site(folder, SECRET, 2000)
    links = secret_links(folder, SECRET)
    os.environ.update({
        "SUNSHINE_ENV": "production", "SUNSHINE_SECRET_KEY": SECRET,
        "SUNSHINE_RATELIMIT_ENABLED": "false",
        "SUNSHINE_PAGE_CACHE": "true" if args.cache or args.conditional else "false",
        "SUNSHINE_SEARCH_APPLY_THREAD": "false",
        "SUNSHINE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite'}",
        "SUNSHINE_SEARCH_INDEX_DIR": str(folder / "index"),
        "SUNSHINE_UPLOAD_DIR": str(folder / "uploads")})
    from flask import Flask

    from sunshine import create_app

    app = create_app()
    client = app.test_client()
    if args.logged_in or args.seller:
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
        donor, seller = accounts(folder / "demo.sqlite")
        name = seller if args.seller else donor
        answer = client.post("/login", data={"login": name, "password": PASSWORD,
                                             "csrf_token": token})
        if answer.status_code not in (302, 303):
            raise SystemExit(f"bench_pages: logging in as {name} answered {answer.status_code}")
        client.get("/")
    urls = []
    for rule, arguments in public_rules():
        if args.only in rule:
            try:
                urls.append(fill(rule, arguments, folder / "demo.sqlite",
                                 lambda url: client.get(url).status_code == 200, links))
            except SystemExit as skipped:  # a page for another kind of visitor
                print(f"skipped: {skipped}")
    # As each gunicorn worker does once the app is loaded (gunicorn.conf.py): a full
    # collection then skips the loaded app's objects (~140 ms each time otherwise, which
    # spread over one route's timed requests made it look several ms slower).
    gc.collect()
    gc.freeze()
    if args.conditional:
        return conditional(app, urls, args.repeat * 10, args.profile)
    hello = Flask("hello")
    hello.route("/")(lambda: "Hello, World!")
    hello_ms = cpu_ms(hello.test_client().get, "/", 300)
    print(f"Flask hello in-process: {hello_ms:.3f} ms")
    figures = sorted((cpu_ms(client.get, url, args.repeat), url) for url in urls)
    for ms, url in figures:
        print(f"{ms:8.2f} ms {ms / hello_ms:6.1f}× hello  {url}")
    if figures:
        median = statistics.median(ms for ms, _ in figures)
        print(f"median {median:.2f} ms ({median / hello_ms:.1f}× hello); over 2.0 ms: "
              f"{sum(ms > 2.0 for ms, _ in figures)} of {len(figures)}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(5):
            for url in urls:
                client.get(url)
        profile.disable()
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
