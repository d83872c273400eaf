"""A throwaway PostgreSQL server for the test run: initdb in a temporary folder, a free
loopback port, a socket folder of its own. Started once per session, stopped at the end.

As root, the server runs as the ``postgres`` user (``runuser``), since PostgreSQL refuses
to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SEARCH_DIRS = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
               "/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"]


def find_bin(name: str) -> str | None:
    for folder in SEARCH_DIRS:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    folder: Path
    port: int
    user: str
    pg_ctl: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database ``name`` (dropped first if it exists, whoever is connected), empty or
        a copy of the database ``template``."""
        import psycopg

        copy_of = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"{copy_of}')
        return self.url(name)

    def stop(self) -> None:
        _as_owner([self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                  check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_owner(command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def start() -> PgServer:
    """:raise RuntimeError: when the PostgreSQL server programs are not installed."""
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server programs (initdb, pg_ctl) not found")
    folder = Path(tempfile.mkdtemp(prefix="sunshine-pg-"))
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, sockets = folder / "data", folder / "sock"
    _as_owner([initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8",
               "--locale=C.UTF-8"])
    _as_owner(["mkdir", "-p", str(sockets)])
    port = _free_port()
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
               "-t", "60", "start"])
    server = PgServer(folder, port, user, pg_ctl)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            server.create_database("sunshine_probe")
            return server
        except Exception:  # noqa: BLE001  (not accepting connections yet)
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("PostgreSQL did not start")
