"""A station's word on each campaign bundle (``.province/state.json``): version, state, reason
and since, and the reports the hub has not acknowledged yet. Light: ``playout status`` reads it
without loading the database layer."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

STATE_DIR = ".province"
REASON_MAX = 1500


def _now_text(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


class BundleState:
    """``.province/state.json``: per bundle its version, state, reason and since; and the
    reports the hub has not acknowledged yet."""

    def __init__(self, root: Path) -> None:
        self.path = root / STATE_DIR / "state.json"
        data: dict[str, Any] = {}
        with contextlib.suppress(FileNotFoundError, ValueError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
        self.bundles: dict[str, dict[str, Any]] = dict(data.get("bundles", {}))
        self.unreported: list[dict[str, Any]] = list(data.get("unreported", []))

    def set(self, name: str, version: int, state: str, reason: str, now: datetime) -> None:
        old = self.bundles.get(name, {})
        since = (
            old.get("since") if (old.get("version"), old.get("state")) == (version, state) else None
        )
        self.bundles[name] = {
            "version": version,
            "state": state,
            "reason": reason[:REASON_MAX],
            "since": since or _now_text(now),
            "station_files": old.get("station_files", ""),
        }
        self.unreported = [r for r in self.unreported if r["name"] != name]
        self.unreported.append(
            {"name": name, "version": version, "state": state, "reason": reason[:REASON_MAX]}
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {"bundles": self.bundles, "unreported": self.unreported},
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        os.replace(tmp, self.path)


def waiting_bundles(root: Path) -> dict[str, dict[str, Any]]:
    """Every bundle this station received, with its state (the operator acts on 'waiting')."""
    return BundleState(root).bundles
