"""Sending the outbox to the hub: bounded gzip batches, retries with backoff and jitter.

Resumable at any point: the cursor moves only when the hub answers, and the hub's upserts make
a batch sent twice harmless.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import socket
import ssl
import stat
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playout import __version__
from playout.clock import Clock
from playout.i18n import Msg, Text, msg
from playout.problems import PlayoutError
from playout.schedule.model import HubSettings, Station
from playout.store import Database
from playout.sync.outbox import next_batch, pending_rows, read_state, write_state
from playout.sync.protocol import MAX_BYTES, MAX_ROWS, PROTOCOL, UPLOAD_PATH

TOKEN_MAX = 200


class HubError(Exception):
    """The upload did not go through. ``retry`` says whether trying again later can help."""

    def __init__(
        self, message: str, *, retry: bool, status: int | None = None, hint: Text = ""
    ) -> None:
        super().__init__(message)
        self.retry = retry
        self.status = status
        self.hint = hint  # what the operator can do about it


def http_hint(status: int) -> Msg:
    """What to do about the hub's answer ``status``."""
    if status == 401:
        return msg(
            "the hub does not know this station's token: ask the province for a new one "
            "(playout hub station rotate ID, at the hub) and put it in the token file"
        )
    if status == 403:
        return msg(
            "the hub registered this token for another station id: station.id in the station "
            "file must be the id the province registered"
        )
    if status >= 500 or status in (408, 429):
        return msg(
            "the hub is busy or has a fault: it is tried again; if it lasts, call the province"
        )
    return msg("tell the province what the hub answered")


def reach_hint(reason: object, url: str) -> Msg:
    """What to do when the hub cannot be reached: by what went wrong."""
    if isinstance(reason, ssl.SSLError):
        return msg(
            "the hub's certificate is not trusted (TLS): check that the address is the "
            "province hub's https:// address, and that this PC's date and time are right"
        )
    if isinstance(reason, socket.gaierror):
        return msg(
            "the name in {url} is not found: check the hub address in the station file and "
            "this PC's internet connection",
            url=url,
        )
    if isinstance(reason, ConnectionRefusedError):
        return msg(
            "nothing answers at {url}: check the address and port in the station file; "
            "if they are right, the hub is not running (call the province)",
            url=url,
        )
    if isinstance(reason, TimeoutError | socket.timeout):
        return msg("the hub did not answer in time: the network is slow or down; it is tried again")
    return msg("check this PC's network connection and the hub address in the station file")


@dataclass
class SyncResult:
    rows_sent: int = 0
    batches: int = 0
    acked_seq: int = 0
    rows_waiting: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)  # rows the hub kept aside
    error: str = ""
    hint: Text = ""  # what the operator can do about the error

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "hint": str(self.hint), "ok": self.ok}


def load_token(root: Path, settings: HubSettings) -> str:
    """The station's token from ``station.hub.token_file``; refused when others can read it."""
    path = (root / settings.token_file).resolve()
    try:
        info = path.stat()
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise PlayoutError(
            f"the hub token file {path} does not exist",
            "put the token the province gave for this station in it (one line), then "
            f"chmod 600 {path}",
        ) from None
    except OSError as exc:
        raise PlayoutError(f"cannot read the hub token file {path}: {exc.strerror}") from exc
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PlayoutError(
            f"the hub token file {path} can be read by other users of this computer",
            f"make it readable only by the station user: chmod 600 {path}",
        )
    if not token or len(token) > TOKEN_MAX or any(c.isspace() for c in token):
        raise PlayoutError(
            f"the hub token file {path} does not hold a token (one line, no spaces)",
            "copy the token exactly as 'playout hub station add' printed it",
        )
    return token


class Uploader:
    """Uploads one station's outbox to the hub at ``url``."""

    def __init__(
        self,
        url: str,
        token: str,
        station: Station,
        *,
        timeout: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url.rstrip("/") + UPLOAD_PATH
        self.token = token
        self.station = station
        self.timeout = timeout
        self.rng = rng or random.Random()

    def _post(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        body = {
            "protocol": PROTOCOL,
            "station": {
                "id": self.station.id,
                "name": self.station.name,
                "timezone": self.station.timezone,
                "software": f"playout {__version__}",
            },
            "rows": rows,
        }
        data = gzip.compress(json.dumps(body, ensure_ascii=False).encode(), compresslevel=5)
        request = urllib.request.Request(
            self.url,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read(1 << 20))
        except urllib.error.HTTPError as exc:
            detail = _detail(exc)
            retry = exc.code >= 500 or exc.code in (408, 429)
            raise HubError(
                f"the hub answered {exc.code}: {detail}",
                retry=retry,
                status=exc.code,
                hint=http_hint(exc.code),
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HubError(
                f"cannot reach the hub at {self.url}: {reason}",
                retry=True,
                hint=reach_hint(reason, self.url),
            ) from exc
        except ValueError as exc:
            raise HubError(f"the hub's answer is not JSON: {exc}", retry=True) from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("acked_seq"), int):
            raise HubError("the hub's answer has no acked_seq", retry=True)
        return answer

    def run(
        self,
        db: Database,
        clock: Clock,
        *,
        retries: int = 0,
        stop: threading.Event | None = None,
        max_rows: int = MAX_ROWS,
        backoff: tuple[float, float] = (5.0, 600.0),
    ) -> SyncResult:
        """Send batches until nothing waits, an error persists past ``retries``, or ``stop``."""
        result = SyncResult()
        attempt = 0
        state = read_state(db, self.station.id)
        acked = state.acked_seq
        sent_total = state.rows_sent
        while stop is None or not stop.is_set():
            batch = next_batch(db, self.station.id, acked, max_rows=max_rows, max_bytes=MAX_BYTES)
            now = clock.now()
            if not batch.rows and result.batches:
                break  # all sent
            try:
                # with nothing to send, an empty batch: the hub records the contact, and a
                # wrong token or URL shows now rather than when rows are waiting
                answer = self._post(batch.rows)
            except HubError as exc:
                write_state(db, last_attempt=now, last_error=str(exc)[:1000], last_error_at=now)
                result.error, result.hint = str(exc), exc.hint
                if exc.status == 413 and max_rows > 1:
                    max_rows = max(1, len(batch) // 2)  # the hub takes smaller batches
                    continue
                if not exc.retry or attempt >= retries:
                    break
                attempt += 1
                low, high = backoff
                delay = self.rng.uniform(0, min(high, low * 2 ** (attempt - 1)))  # full jitter
                if clock.wait(delay, stop):
                    break
                continue
            if not batch.rows:
                write_state(db, hub_url=self.url, last_attempt=now, last_success=now, last_error="")
                result.error = ""
                break
            new_acked = min(int(answer["acked_seq"]), batch.last_seq)
            if new_acked <= acked:
                result.error = f"the hub did not take the batch (acked {new_acked})"
                write_state(db, last_attempt=now, last_error=result.error, last_error_at=now)
                break
            acked = new_acked
            sent_total += len(batch)
            result.rows_sent += len(batch)
            result.batches += 1
            result.refused += list(answer.get("refused") or [])
            result.error = ""
            attempt = 0
            write_state(
                db,
                acked_seq=acked,
                hub_url=self.url,
                last_attempt=now,
                last_success=now,
                last_error="",
                rows_sent=sent_total,
            )
        result.acked_seq = acked
        result.rows_waiting = pending_rows(db, self.station.id, acked)
        return result


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        raw = json.loads(exc.read(4096))
        return str(raw.get("detail", raw)) if isinstance(raw, dict) else str(raw)
    except (ValueError, OSError):
        return exc.reason if isinstance(exc.reason, str) else str(exc.reason)
