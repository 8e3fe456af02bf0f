"""A private PostgreSQL cluster on a Unix socket, for tests, benchmarks and the demo hub.

As ../shared/POSTGRES_TESTBENCH.md describes: ``initdb`` in a fresh temporary folder, the
server listening on a socket in that folder only (no TCP), run as ``postgres`` when we are root
(PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if found:
        return Path(found[-1])
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())
    raise RuntimeError("PostgreSQL's server is not installed (Debian: apt install postgresql)")


class PostgresCluster:
    def __init__(self, port: int = 55432) -> None:
        self.bin = _bindir()
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="playout-pg."))
        self.data = self.dir / "data"
        self.root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._templates: dict[str, str] = {}
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.root else []
        return subprocess.run(
            [*prefix, *args], capture_output=True, text=True, check=check, timeout=120
        )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data), "-A", "trust", "-U", "playout", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self, *settings: str) -> None:
        options = f"-k {self.dir} -c listen_addresses='' -p {self.port} " + " ".join(
            f"-c {s}" for s in settings
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
            "-w", "start", "-o", options,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://playout@/{database}?host={self.dir}&port={self.port}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            ["psql", "-h", str(self.dir), "-p", str(self.port), "-U", "playout", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        return out.stdout.strip()

    def new_database(self, prefix: str = "t", template: str = "template0") -> str:
        """A fresh database, empty or a copy of ``template``; returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def template(self, key: str, make: Callable[[str], None]) -> str:
        """The name of a template database made once (per cluster) by ``make(url)``, which
        must close its connections: PostgreSQL copies a template only while nobody uses it."""
        name = self._templates.get(key)
        if name is None:
            name = f"tpl_{key}_{os.getpid()}"
            self.psql(f"CREATE DATABASE {name} TEMPLATE template0")
            make(self.url(name))
            self.psql(f"ALTER DATABASE {name} WITH IS_TEMPLATE true")
            self._templates[key] = name
        return name

    def cleanup(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
            check=False,
        )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)
