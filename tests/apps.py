"""The apps and databases the tests run on: a new database per test copied from a schema made
once, and apps shared by the tests of one configuration (see tests/conftest.py)."""

from __future__ import annotations

import contextvars
import copy
import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from sunshine import create_app
from sunshine.extensions import db, limiter

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-battery-9"


class Databases:
    """New databases for tests, on SQLite files or on the test PostgreSQL server.

    ``with_schema`` copies a template that ``db.create_all()`` filled once per session.
    """

    def __init__(self, folder: Path, server: Any | None) -> None:
        self.folder = folder
        self.server = server
        self.template: str | None = None
        self.names = itertools.count()

    def new_name(self, prefix: str) -> str:
        return f"{prefix}{next(self.names)}"

    def empty(self, name: str) -> str:
        """The URL of a new, empty database ``name`` (made again if it exists)."""
        if self.server is not None:
            return self.server.create_database(name)
        path = self._remove(name)
        return f"sqlite:///{path}"

    def with_schema(self, name: str) -> str:
        """The URL of a new database ``name`` holding the schema and no rows."""
        if self.template is None:
            self.template = self._make_template()
        if self.server is not None:
            return self.server.create_database(name, template=self.template)
        path = self._remove(name)
        shutil.copyfile(self.folder / f"{self.template}.sqlite", path)
        return f"sqlite:///{path}"

    def _make_template(self) -> str:
        name = "schema_template"
        app = create_app(make_config(self.folder / name, self.empty(name)))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        return name

    def _remove(self, name: str) -> Path:
        """Unlink rather than overwrite: a connection left open by a test keeps the old file."""
        path = self.folder / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return path


def make_config(tmp_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SUNSHINE_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        # Tests apply the search outbox when they need to (tests.conftest.apply_search).
        "SEARCH_APPLY_THREAD": False,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "DEMO_PASSWORD": PASSWORD,
    }
    config.update(extra)
    return config


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own application context, as under a server.

    The ``app`` fixture keeps an application context open for the whole test, and Flask reuses
    an open context for requests: ``g`` (Flask-Login's cached user, Flask-WTF's CSRF token)
    would otherwise leak from one request, and one client, to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return contextvars.Context().run(super().open, *args, **kwargs)


@dataclass
class SharedApp:
    """An app made once for every test with the same ``app_config``, and what it was made as."""

    app: Flask
    database: str  # the name of its database, made again from the template for each test
    config: dict[str, Any]
    extensions: frozenset[str]  # anything added later is a per-app cache
    setup: tuple[Any, ...]

    @classmethod
    def make(cls, databases: Databases, folder: Path, app_config: dict[str, Any]) -> SharedApp:
        name = databases.new_name("app")
        app = create_app(make_config(folder, databases.with_schema(name), **app_config))
        app.test_client_class = IsolatedClient
        return cls(app, name, copy.deepcopy(dict(app.config)), frozenset(app.extensions),
                   shared_setup(app))

    def renew(self, databases: Databases, tmp_path: Path) -> None:
        """Before a test: a fresh database, the configuration as made with this test's folders,
        no cached pages and fresh rate-limit counts."""
        databases.with_schema(self.database)
        app = self.app
        app.config.clear()
        app.config.update(copy.deepcopy(self.config))
        app.config.update(SEARCH_INDEX_DIR=str(tmp_path / "index"),
                          UPLOAD_DIR=str(tmp_path / "uploads"))
        for key in set(app.extensions) - self.extensions:
            del app.extensions[key]
        limiter.init_app(app)  # what create_app does: enabled or not, and a new memory store


def shared_setup(app: Flask) -> tuple[Any, ...]:
    """Routes and hooks: what a shared app must keep from one test to the next."""
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    return (sorted(app.view_functions), *({k: len(v) for k, v in h.items()} for h in hooks))
