"""When an upload fails, the operator is told what to do, by what went wrong: a token the hub
does not know, nothing listening at the address, a certificate that is not trusted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from playout.clock import SystemClock
from playout.store import open_database
from tests.hub_bench import free_port, uploader


class _Answer(BaseHTTPRequestHandler):
    status = 401

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"detail": "missing, wrong or revoked token"}'
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[int]:
    """A local HTTP server that answers every upload with 401 (the hub's answer to a token it
    does not know); its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize(
    ("case", "hint"),
    [
        ("token", "ask the province for a new one"),
        ("refused", "nothing answers at"),
        ("tls", "certificate is not trusted"),
        ("name", "is not found"),
    ],
)
def test_an_upload_that_fails_says_what_to_do(
    case: str, hint: str, answering: int, tmp_path: Path
) -> None:
    url = {
        "token": f"http://127.0.0.1:{answering}",
        "refused": f"http://127.0.0.1:{free_port()}",
        "tls": f"https://127.0.0.1:{answering}",  # a plain HTTP server: the handshake fails
        "name": "http://hub.invalid",
    }[case]
    db = open_database(tmp_path / "playout.db")
    try:
        result = uploader(url, "token", "long-an/x", timeout=10).run(db, SystemClock())
    finally:
        db.close()
    assert not result.ok
    assert hint in str(result.hint), (result.error, result.hint)
