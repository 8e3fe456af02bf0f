"""The station's HTTP client for campaign bundles: the list addressed to it, files by sha256
(continued with a range after a break), and its reports. Every failure is a ``HubError``."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from playout.sync.bundle_format import BLOBS_PATH, BUNDLE_REPORT_PATH, BUNDLES_PATH
from playout.sync.runner import HubError


class HubClient:
    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _open(
        self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST" if data is not None else "GET",
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
        )
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            raise HubError(
                f"the hub answered {exc.code} to {path}: {detail}",
                retry=exc.code >= 500 or exc.code in (408, 429),
                status=exc.code,
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HubError(f"cannot reach the hub at {self.url}: {reason}", retry=True) from exc

    def wanted(self) -> dict[str, Any]:
        with self._open(BUNDLES_PATH) as response:
            try:
                answer = json.loads(response.read(16 << 20))
            except ValueError as exc:
                raise HubError(f"the hub's bundle list is not JSON: {exc}", retry=True) from exc
        if not isinstance(answer, dict):
            raise HubError("the hub's bundle list is not an object", retry=True)
        return answer

    def fetch(self, sha256: str, into: Path, size: int) -> None:
        """Download into ``into``, continuing a partial file with a range request."""
        have = into.stat().st_size if into.exists() else 0
        if have > size:
            into.unlink()
            have = 0
        if have == size:
            return
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self._open(f"{BLOBS_PATH}/{sha256}", headers=headers) as response:
            if have and response.status != 206:  # the hub sent it whole: start again
                have = 0
            with into.open("r+b" if have else "wb") as out:
                out.seek(have)
                out.truncate()
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    have += len(chunk)
                    if have > size:
                        break
                out.flush()
                os.fsync(out.fileno())

    def report(self, entry: dict[str, Any]) -> None:
        body = json.dumps(entry, ensure_ascii=False).encode()
        with self._open(
            BUNDLE_REPORT_PATH, data=body, headers={"Content-Type": "application/json"}
        ) as response:
            response.read(4096)
