"""The local control channel between the CLI and the running daemon.

A Unix domain socket next to the database (a named pipe on Windows), through
``multiprocessing.connection`` with an authkey kept in a file only the station user can read:
no network port. Messages are JSON (never pickle): ``{"cmd": ..., "args": {...}, "operator":
...}`` answered by ``{"ok": true, "data": ...}`` or ``{"ok": false, "error": "..."}``. Garbage,
unknown commands and a wrong authkey get an error (or a refused connection) and a log line; the
daemon never dies of them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import secrets
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing import AuthenticationError
from multiprocessing.connection import (
    Client,
    Connection,
    Listener,
    answer_challenge,
    deliver_challenge,
)
from pathlib import Path
from typing import Any

from playout.i18n import Msg, Text, msg
from playout.problems import PlayoutError

log = logging.getLogger("playout.control")

REPLY_TIMEOUT_S = 30.0
HANDSHAKE_TIMEOUT_S = 10.0
MAX_MESSAGE = 64 * 1024
MAX_CLIENTS = 8

Handler = Callable[[str, dict[str, Any], str], Any]


class NoDaemon(PlayoutError):
    exit_code = 3


class ControlError(PlayoutError):
    pass


def said(exc: ControlError) -> dict[str, Any]:
    """A refusal's message and hint as messages (the CLI says them in the operator's words),
    beside their English text."""
    out: dict[str, Any] = {}
    if isinstance(exc.said, Msg):
        out["said"] = exc.said.as_dict()
    if isinstance(exc.hinted, Msg):
        out["hinted"] = exc.hinted.as_dict()
    return out


def _refusal(reply: dict[str, Any]) -> tuple[Text, Text]:
    """The daemon's refusal: as messages when it sent them (a daemon of this version), else its
    text."""
    message: Text = str(reply.get("error"))
    hint: Text = str(reply.get("hint") or "")
    if isinstance(reply.get("said"), dict):
        message = Msg.from_dict(reply["said"])
    if isinstance(reply.get("hinted"), dict):
        hint = Msg.from_dict(reply["hinted"])
    return message, hint


class NoAnswer(ControlError):
    """The daemon took the command but its answer never came (it may have acted on it)."""


def address_for(db_path: Path) -> tuple[str, str]:
    """(address, family) of the station's control channel."""
    digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:16]
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return rf"\\.\pipe\playout-{digest}", "AF_PIPE"
    path = str(db_path) + ".sock"
    if len(path) > 100:  # the limit of a Unix socket path is about 108 bytes
        runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
        path = str(Path(runtime) / f"playout-{digest}.sock")
    return path, "AF_UNIX"


def authkey_for(db_path: Path, *, create: bool) -> bytes:
    key_file = Path(str(db_path) + ".key")
    if not key_file.exists():
        if not create:
            raise NoDaemon(
                msg("no daemon has run for this station yet (no control key)"),
                msg("start it with 'playout run' (or systemctl start playout)"),
            )
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    try:
        return key_file.read_text().strip().encode()
    except PermissionError as exc:
        raise ControlError(
            msg("cannot read the control key {path}", path=str(key_file)),
            msg("run the command as the station user (the one the daemon runs as)"),
        ) from exc


class ControlServer:
    """Accepts control connections; at most ``MAX_CLIENTS`` are served at once, each within
    ``handshake_s`` (the socket itself times out, so a silent client costs nothing
    after that), and running out of file descriptors backs off instead of spinning."""

    def __init__(
        self, db_path: Path, handler: Handler, handshake_s: float = HANDSHAKE_TIMEOUT_S
    ) -> None:
        self.handshake_s = handshake_s
        self.address, self.family = address_for(db_path)
        self.authkey = authkey_for(db_path, create=True)
        self.handler = handler
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self.refused = 0

    def start(self) -> None:
        if self.family == "AF_UNIX" and os.path.exists(self.address):
            os.unlink(self.address)  # stale: the station lock says no other daemon runs
        # no authkey here: the handshake runs on each connection's own thread (below), so a
        # client that connects and says nothing cannot block the others
        self._listener = Listener(self.address, self.family, backlog=2 * MAX_CLIENTS)
        if self.family == "AF_UNIX":
            os.chmod(self.address, 0o600)
        self._thread = threading.Thread(target=self._accept, name="control", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _accept(self) -> None:
        assert self._listener is not None
        pause = 0.0
        while not self._closing.is_set():
            try:
                conn = self._listener.accept()
            except OSError as exc:
                if self._closing.is_set():
                    return
                if exc.errno in _OUT_OF_RESOURCES:
                    pause = min(max(pause * 2, 0.05), 1.0)
                    log.error(
                        "control channel: %s; accepting again in %.2f s",
                        os.strerror(exc.errno or 0),
                        pause,
                    )
                    self._closing.wait(pause)
                    continue
                log.warning("control connection refused: %r", exc)
                continue
            except (EOFError, AuthenticationError) as exc:
                log.warning("control connection refused: %r", exc)
                continue
            pause = 0.0
            if not self._slots.acquire(blocking=False):
                self.refused += 1
                log.warning("control connection refused: %d already being served", MAX_CLIENTS)
                conn.close()
                continue
            try:
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
            except RuntimeError as exc:  # cannot start a thread: out of resources
                self._slots.release()
                conn.close()
                log.error("control connection dropped: %s", exc)

    def _serve(self, conn: Connection) -> None:
        try:
            _set_timeouts(conn, self.handshake_s)  # a silent client is cut off
            try:
                deliver_challenge(conn, self.authkey)
                answer_challenge(conn, self.authkey)
            except (OSError, EOFError, AuthenticationError) as exc:
                log.warning("control connection refused: %r", exc)
                return
            try:
                if not conn.poll(self.handshake_s):
                    return
                raw = conn.recv_bytes(MAX_MESSAGE)
                conn.send_bytes(json.dumps(self._answer(raw), default=str).encode())
            except (OSError, EOFError) as exc:
                log.warning("control connection failed: %r", exc)
        finally:
            conn.close()
            self._slots.release()

    def _answer(self, raw: bytes) -> dict[str, Any]:
        try:
            message = json.loads(raw)
            if not isinstance(message, dict) or not isinstance(message.get("cmd"), str):
                raise ValueError("a message is an object with a 'cmd'")
            args = message.get("args") or {}
            if not isinstance(args, dict):
                raise ValueError("'args' must be an object")
            operator = str(message.get("operator") or "")
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("malformed control message: %s", exc)
            return {"ok": False, "error": f"malformed message: {exc}"}
        try:
            return {"ok": True, "data": self.handler(message["cmd"], args, operator)}
        except ControlError as exc:
            log.warning("control %s refused: %s", message["cmd"], exc.message)
            return {"ok": False, "error": exc.message, "hint": exc.hint, **said(exc)}
        except Exception as exc:  # a bad request must never take the daemon down
            log.exception("control %s failed", message["cmd"])
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    def stop(self) -> None:
        self._closing.set()
        if self._listener is not None:
            self._listener.close()
        if self.family == "AF_UNIX" and os.path.exists(self.address):
            os.unlink(self.address)


_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def _set_timeouts(conn: Connection, seconds: float) -> None:
    """OS-level send and receive timeouts on a connection's socket (Unix)."""
    if sys.platform == "win32":  # pragma: no cover - named pipes: no socket options
        return
    value = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
    with socket.socket(fileno=os.dup(conn.fileno())) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


def request(
    db_path: Path,
    cmd: str,
    args: dict[str, Any] | None = None,
    operator: str = "",
    timeout_s: float = REPLY_TIMEOUT_S,
) -> Any:
    """Send one command to the station's daemon; its data, or a PlayoutError."""
    address, family = address_for(db_path)
    key = authkey_for(db_path, create=False)
    if family == "AF_UNIX" and not os.path.exists(address):
        raise NoDaemon(
            msg("no playout daemon is running for this station"),
            msg("start it with 'playout run' (or systemctl start playout)"),
        )
    try:
        conn = Client(address, family, authkey=key)
    except (ConnectionRefusedError, FileNotFoundError) as exc:
        raise NoDaemon(
            msg("no playout daemon is running for this station"),
            msg("start it with 'playout run' (or systemctl start playout)"),
        ) from exc
    except EOFError as exc:
        raise ControlError(
            msg("the daemon is busy with other control connections and closed this one"),
            msg("try again in a few seconds"),
        ) from exc
    except (AuthenticationError, OSError) as exc:
        raise ControlError(
            msg("the daemon refused the connection: {error}", error=repr(exc))
        ) from exc
    try:
        conn.send_bytes(json.dumps({"cmd": cmd, "args": args or {}, "operator": operator}).encode())
        if not conn.poll(timeout_s):
            raise NoAnswer(
                msg("the daemon did not answer within {seconds} s", seconds=f"{timeout_s:.0f}")
            )
        reply = json.loads(conn.recv_bytes(MAX_MESSAGE))
    except (OSError, EOFError) as exc:
        raise NoAnswer(msg("the connection to the daemon broke: {error}", error=repr(exc))) from exc
    finally:
        conn.close()
    if not reply.get("ok"):
        raise ControlError(*_refusal(reply))
    return reply.get("data")
