"""HTTP helpers of bench_site.py: wrk runs with headers, logins through the real login form,
and a back-office writer that posts one notice draft a second while the pages are loaded."""

from __future__ import annotations

import http.cookiejar
import random
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Figure:
    rate: float  # requests a second
    p50: float  # ms
    p99: float  # ms
    failures: int  # non-2xx/3xx answers, connect errors and timeouts


def _ms(match: re.Match[str] | None, out: str) -> float:
    if match is None:
        raise RuntimeError(f"wrk printed no latency distribution:\n{out}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def wrk(port: int, path: str, seconds: float, headers: dict[str, str] | None = None) -> Figure:
    """One wrk run: 2 threads, 20 connections, ``seconds`` long."""
    command = ["wrk", "-t2", "-c20", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, timeout=seconds + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate for {path}:\n{out}")
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read \d+, write \d+, timeout (\d+)", out)
    if errors:
        failures += int(errors.group(1)) + int(errors.group(2))
    return Figure(float(rate.group(1)), _ms(re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out), out),
                  _ms(re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out), out), failures)


class _Inputs(HTMLParser):
    """The named inputs of a page with their values (the CSRF token among them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") and found.get("type") not in ("checkbox",
                                                                               "submit"):
            self.values.setdefault(found["name"] or "", found.get("value") or "")


class Visitor:
    """A browser of one visitor: its own cookies; GET and form POSTs on the bench server."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        no_redirect = type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                           {"redirect_request": lambda *args: None})
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  no_redirect)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str],
                                                                              bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def submit(self, path: str, fields: dict[str, str]) -> int:
        """GET the form page, then POST its inputs (CSRF token included) with ``fields``."""
        _, _, page = self.get(path)
        form = _Inputs()
        form.feed(page.decode("utf-8", "replace"))
        data = urllib.parse.urlencode({**form.values, **fields}).encode()
        request = urllib.request.Request(self.base + path, data=data)
        try:
            with self.opener.open(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def login(self, username: str, password: str) -> str:
        """Log in through /login; returns the Cookie header that carries the session, taken
        after the welcome message was shown (a session that still holds a flashed message
        gets every page rendered for it, as a browser does only once)."""
        status = self.submit("/login", {"login": username, "password": password})
        if status not in (302, 303):
            raise SystemExit(f"bench_site: logging in as {username} answered {status}")
        self.get("/")
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class Writer(threading.Thread):
    """A county staff member saving one notice draft a second, in a random county."""

    def __init__(self, port: int, counties: list[str], password: str) -> None:
        super().__init__(daemon=True)
        self.port, self.counties, self.password = port, counties, password
        self.stopping = threading.Event()
        self.saved = 0
        self.refused = 0

    def run(self) -> None:
        rng = random.Random(19)
        visitors: dict[str, Visitor] = {}
        while not self.stopping.is_set():
            started = time.monotonic()
            county = rng.choice(self.counties)
            if county not in visitors:
                visitors[county] = Visitor(self.port)
                visitors[county].login(f"staff-{county}", self.password)
            status = visitors[county].submit("/admin/notices/new", {
                "kind": "project", "region_code": county,
                "title": f"项目公示（压力测试草稿 {self.saved + 1}）",
                "body": "本公示为性能测试生成的草稿，不会发布。"})
            if status in (302, 303):
                self.saved += 1
            else:
                self.refused += 1
            self.stopping.wait(max(0.0, 1.0 - (time.monotonic() - started)))

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
