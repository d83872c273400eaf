"""The search outbox across processes: a process killed with SIGKILL between its commit and the
index update loses nothing, and two application nodes (gunicorn, each with its own index folder,
on one database) both find a newly published article within two seconds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from sunshine.accounts.models import User
from sunshine.content import services
from sunshine.content.models import Article
from sunshine.extensions import db
from sunshine.search import node
from sunshine.search.index import search
from tests.apps import TEST_SECRET
from tests.conftest import apply_search
from tests.search.outbox_helpers import draft, editor

pytestmark = pytest.mark.postgres

GUNICORN = Path(sys.executable).parent / "gunicorn"


def killed_after(work: Callable[[], None], tmp_path: Path) -> None:
    """Run ``work`` in a forked copy of this process that then dies by SIGKILL, as a crash
    would: no handler, no finalizer, no rollback but the database's own."""
    db.session.remove()
    db.engine.dispose()  # the child opens its own connections
    marker = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            work()
            marker.write_text("done")
        except BaseException:
            marker.write_text(traceback.format_exc())
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _urls(app, text: str) -> list[str]:
    return [hit.url for hit in search(app.config["SEARCH_INDEX_DIR"], text).hits]


def test_a_writer_killed_right_after_its_commit_loses_nothing(app, regions, tmp_path):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    apply_search(app)
    article_id, author_id = article.id, author.id

    def publish_then_die() -> None:
        services.publish(db.session.get(Article, article_id), db.session.get(User, author_id))

    killed_after(publish_then_die, tmp_path)
    assert (tmp_path / "child.txt").read_text() == "done"
    assert apply_search(app).rows == 1
    assert _urls(app, "硬化路") == ["/news/shimen"]


def _die(*args, **kwargs) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("where", ["inside the index write", "before the position is saved"])
def test_an_applier_killed_midway_loses_nothing(app, regions, tmp_path, monkeypatch, where):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    apply_search(app)
    services.publish(article, author)
    doc_id = f"article:{article.id}"

    def apply_and_die() -> None:
        if where == "inside the index write":  # Whoosh's lock and the node's are held
            monkeypatch.setattr(SegmentWriter, "commit", _die)
        else:
            monkeypatch.setattr(node.Position, "save", _die)
        node.apply_pending()

    killed_after(apply_and_die, tmp_path)
    assert not (tmp_path / "child.txt").exists()  # it died in the middle
    assert apply_search(app).rows == 1
    assert _urls(app, "硬化路") == ["/news/shimen"]
    ix = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"])
    with ix.searcher() as searcher:
        assert len(list(searcher.document_numbers(id=doc_id))) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return str(response.read().decode("utf-8"))


@pytest.fixture
def two_nodes(app, tmp_path: Path) -> Iterator[list[tuple[int, Path]]]:
    """Two gunicorn servers on the test database, each with its own index folder and the
    applying thread on, as in production; yields (port, index folder) of each."""
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    nodes, processes = [], []
    try:
        for name in ("a", "b"):
            port, folder = _free_port(), tmp_path / f"index-{name}"
            env = {**os.environ, "SUNSHINE_ENV": "testing", "SUNSHINE_SECRET_KEY": TEST_SECRET,
                   "SUNSHINE_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                   "SUNSHINE_RATELIMIT_ENABLED": "false", "SUNSHINE_SEARCH_INDEX_DIR": str(folder),
                   "SUNSHINE_UPLOAD_DIR": str(tmp_path / "uploads")}
            log = tmp_path / f"gunicorn-{name}.log"
            with log.open("w") as out:
                processes.append(subprocess.Popen(
                    [str(GUNICORN), "--preload", "--workers", "1", "--bind",
                     f"127.0.0.1:{port}", "--graceful-timeout", "1", "sunshine:create_app()"],
                    env=env, stdout=out, stderr=subprocess.STDOUT))
            nodes.append((port, folder))
        deadline = time.monotonic() + 90
        for (port, folder), process in zip(nodes, processes, strict=True):
            # The first request starts the thread; a new node builds its index first.
            while not (folder / node.STATE_FILE).exists():
                try:
                    _get(port, "/healthz")
                except OSError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    logs = "\n".join(p.read_text()[-2000:] for p in tmp_path.glob("*.log"))
                    pytest.fail(f"gunicorn did not start:\n{logs}")
                time.sleep(0.2)
        yield nodes
    finally:
        for process in processes:
            process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
                process.wait()


def test_two_nodes_both_find_a_new_article_within_two_seconds(app, regions, two_nodes):
    author = editor()
    article = draft(author, "石门村通了硬化路", "shimen")
    query = f"/search?q={quote('硬化路')}"
    for port, _folder in two_nodes:
        assert "/news/shimen" not in _get(port, query)
    services.publish(article, author)
    published = time.monotonic()
    took = {}
    for port, _folder in two_nodes:
        while "/news/shimen" not in _get(port, query):
            assert time.monotonic() - published < 10, f"node {port} did not follow"
            time.sleep(0.05)
        took[port] = time.monotonic() - published
    assert max(took.values()) <= 2.0, took
