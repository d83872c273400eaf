"""HTTP caching and compression, done by the app itself so that ``make run`` and a bare
gunicorn answer like production.

- **Validators.** A GET answer with a whole body carries a strong ETag: the hash of its bytes,
  or the tag a page cache stored with the page (hashed once, when it was rendered). A tag
  names the exact bytes, so a 304 only ever confirms that the copy a visitor holds is the page
  they would get now; never another visitor's page, whoever is logged in. HTML varies by
  Cookie (the header shows who is logged in) and is revalidated on every use (``no-cache``).
- **no-store** answers (back office, tracking codes, a donor's own page) carry no validator
  and never answer 304.
- **Static files.** ``url_for('static', ...)`` adds ``?v=<hash of the file>``; a request whose
  ``v`` is the file's current hash is cached for a year (immutable), any other static request
  for five minutes.
- **Compression.** Text answers (HTML, CSS, JS, JSON, CSV, feeds, SVG) of 500 bytes or more are
  gzipped when the client accepts it, with ``Vary: Accept-Encoding`` and the ETag suffixed
  ``-gzip`` (another representation, another tag). A streamed answer (a CSV export) is
  compressed chunk by chunk, so that it still streams. The gzip of a stored page or a static
  file is kept per worker by its tag, so that it is compressed once.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from flask import Flask, Response, request
from werkzeug.http import parse_accept_header, parse_etags
from werkzeug.security import safe_join

MIN_SIZE = 500
GZIP_LEVEL = 6
PRIVATE_GZIP_LEVEL = 1  # compressed on every answer: fast rather than small
GZIP_SUFFIX = "-gzip"
COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "text/csv", "application/atom+xml", "application/xml", "text/xml", "text/plain",
    "image/svg+xml",
})
IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_SHORT = "public, max-age=300"


# --- stored pages ------------------------------------------------------------------------------


class StoredPage(NamedTuple):
    """A rendered page kept by a page cache, with its tag computed once."""

    body: bytes
    etag: str


def body_tag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def stored(body: bytes) -> StoredPage:
    return StoredPage(body, body_tag(body))


def html_response(page: StoredPage) -> Response:
    """A stored page as an answer; the after-request step uses its tag instead of hashing."""
    response = Response(page.body, mimetype="text/html")
    response.set_etag(page.etag)
    return response


class _Gzipped:
    """Compressed bodies by tag, least recently used out first (one per worker). Tags are
    content hashes (or a static file's path, size and time), so apps may share it."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, tag: str, body: bytes) -> bytes:
        with self.lock:
            compressed = self.bodies.get(tag)
            if compressed is not None:
                self.bodies.move_to_end(tag)
                return compressed
        compressed = gzip.compress(body, GZIP_LEVEL, mtime=0)
        with self.lock:
            self.bodies[tag] = compressed
            while len(self.bodies) > self.size:
                self.bodies.popitem(last=False)
        return compressed


GZIPPED = _Gzipped()


def accepts_gzip(header: str | None) -> bool:
    if not header or ("gzip" not in header and "*" not in header):
        return False
    return parse_accept_header(header)["gzip"] > 0


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2). A browser sends back the one tag it
    was given, quoted: that is compared as it is, without parsing the header."""
    if not if_none_match:
        return False
    if if_none_match == f'"{tag}"':
        return True
    return parse_etags(if_none_match).contains_weak(tag)


def serve_stored(environ: dict[str, Any], start_response: Callable[..., Any],
                 page: StoredPage, headers: list[tuple[str, str]], private: bool = False,
                 no_store: bool = False, content_type: str = "text/html; charset=utf-8",
                 ) -> Iterable[bytes]:
    """Answer with a stored page (or data) from plain WSGI (a cache in front of Flask), with
    the same validators, 304 and compression as the after-request step gives Flask's answers.
    A ``private`` page (one visitor's) is for no shared cache, and its gzip is not kept; a
    ``no_store`` one is for no cache at all, and has no validator. Only HTML varies by
    Cookie (the header shows who is logged in). A ``Cache-Control`` among ``headers`` (kept
    data's own, a photo's lifetime) stands."""
    tag, body = page.etag, page.body
    lifetime = "no-store" if no_store else "private, no-cache" if private else "no-cache"
    vary = "Cookie, Accept-Encoding" if content_type.startswith("text/html") \
        else "Accept-Encoding"
    headers = [*headers, ("Vary", vary)]
    if not any(name == "Cache-Control" for name, _ in headers):
        headers.append(("Cache-Control", lifetime))
    entity = [("Content-Type", content_type)]
    if len(body) >= MIN_SIZE and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")):
        tag = tag + GZIP_SUFFIX
        body = (gzip.compress(body, PRIVATE_GZIP_LEVEL, mtime=0) if private
                else GZIPPED.get(page.etag, body))
        entity.append(("Content-Encoding", "gzip"))
    if not no_store:
        headers.append(("ETag", f'"{tag}"'))
    if not no_store and not_modified(environ.get("HTTP_IF_NONE_MATCH"), tag):
        start_response("304 Not Modified", headers)
        return []
    start_response("200 OK", [*entity, ("Content-Length", str(len(body))), *headers])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


# --- static files ------------------------------------------------------------------------------


class Fingerprints:
    """Short content hashes of the files of one folder. With ``watch`` (development) a file
    is hashed again when it changes; without, each file is hashed once, at its first URL:
    a deployment's static files change with a restart, and every page links three of them."""

    def __init__(self, folder: str, watch: bool = True) -> None:
        self.folder = folder
        self.watch = watch
        self.known: dict[str, tuple[int, int, str]] = {}

    def __call__(self, filename: str) -> str | None:
        known = self.known.get(filename)
        if known is not None and not self.watch:
            return known[2]
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
            if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
                return known[2]
            with open(path, "rb") as file:
                digest = hashlib.sha256(file.read()).hexdigest()[:12]
        except OSError:
            return None
        self.known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def _static_lifetime(response: Response, fingerprints: Fingerprints) -> None:
    if response.status_code not in (200, 304):
        return
    filename = (request.view_args or {}).get("filename")
    version = request.args.get("v")
    fresh = bool(version) and filename is not None and version == fingerprints(filename)
    response.headers["Cache-Control"] = IMMUTABLE if fresh else STATIC_SHORT


# --- the after-request step --------------------------------------------------------------------


def _gzip_stream(chunks: Iterable[bytes | str]) -> Iterator[bytes]:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip frame
    try:
        for chunk in chunks:
            out = compressor.compress(chunk.encode() if isinstance(chunk, str) else chunk)
            if out:
                yield out
        yield compressor.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def finish(response: Response) -> Response:
    """Validators, 304s, static lifetimes and compression, once every other step is done.
    (Every answer passes here: headers are read once and written once.)"""
    headers = response.headers
    environ = request.environ
    reading = environ["REQUEST_METHOD"] in ("GET", "HEAD")
    status = response.status_code
    mimetype = response.mimetype
    lifetime = headers.get("Cache-Control")
    stored_tag: str | None = None
    weak: bool | None = False
    if lifetime is not None and "no-store" in lifetime:
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
    elif "ETag" in headers:
        stored_tag, weak = response.get_etag()
    elif reading and status == 200 and not response.is_streamed:
        stored_tag = body_tag(response.get_data())
        response.set_etag(stored_tag)
    vary = []
    if mimetype == "text/html":
        vary.append("Cookie")
        if stored_tag is not None and lifetime is None:
            headers["Cache-Control"] = "no-cache"  # the page may change at any time

    compress = False
    if mimetype in COMPRESSIBLE and status not in (204, 206, 304):
        vary.append("Accept-Encoding")
        length = response.content_length
        large = length >= MIN_SIZE if length is not None else response.is_streamed
        compress = (large and "Content-Encoding" not in headers
                    and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")))
    if vary:
        if "Vary" in headers:
            response.vary.update(vary)
        else:
            headers["Vary"] = ", ".join(vary)
    tag = stored_tag
    if compress and stored_tag is not None:
        tag = stored_tag + GZIP_SUFFIX
        response.set_etag(tag, bool(weak))

    if (tag is not None and status == 200 and reading
            and not_modified(environ.get("HTTP_IF_NONE_MATCH"), tag)):
        close = getattr(response.response, "close", None)
        if close is not None:
            close()  # a static file's handle
        response.set_data(b"")
        response.status_code = 304  # Werkzeug drops the entity headers of a 304
        return response

    if compress:
        headers["Content-Encoding"] = "gzip"
        headers.pop("Accept-Ranges", None)  # ranges would count compressed bytes
        if response.is_streamed and request.endpoint != "static":
            response.response = _gzip_stream(response.response)
            headers.pop("Content-Length", None)
        else:
            response.direct_passthrough = False  # a static file is small: read it
            body = response.get_data()
            compressed = (GZIPPED.get(stored_tag, body) if stored_tag is not None
                          else gzip.compress(body, GZIP_LEVEL, mtime=0))
            response.set_data(compressed)
    return response


def watching(app: Flask) -> bool:
    """Whether files may change while the site runs (development): anything remembered of
    static files and templates is then checked again on use."""
    return app.debug or app.config.get("SUNSHINE_ENV") == "development"


def register(app: Flask) -> None:
    fingerprints = Fingerprints(app.static_folder or "static", watch=watching(app))

    @app.url_defaults
    def static_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = fingerprints(values["filename"])
            if version is not None:
                values["v"] = version

    def finish_static(response: Response) -> Response:
        if request.endpoint == "static":
            _static_lifetime(response, fingerprints)
        return finish(response)

    # Flask runs after-request functions last registered first: this one goes first in the
    # list so that it runs after every other (it must see the final body and Cache-Control).
    app.after_request_funcs.setdefault(None, []).insert(0, finish_static)
