"""Campaign bundles at the station: fetch what the hub addresses to this station, check it with
the station's own files, apply it, and say so to the hub.

Nothing half-done is ever used:
- every file is downloaded to ``.province/download/`` (resumed with an HTTP range after a
  break) and used only once its sha256 is the manifest's; a wrong one is fetched again;
- the bundle's YAML files are staged in ``.province/staging/NAME/`` and checked with the station's
  own loader together with the station's own files (a bundle naming a session the station lacks
  is refused here, with the reason, and reported to the hub; the last good plan stays);
- applying is two renames into ``schedules/province/NAME/`` and ``playlists/province/NAME/``;
  the running daemon's file watcher then reloads, which never touches the airing on air;
- clips go to ``audio/province/`` (never overwritten: a changed clip needs a new name) and into
  the catalog with the hub's measurements (same sha256: the proof of what aired).

With ``hub.campaigns: review`` a checked bundle waits in staging for ``playout campaign accept``
(or ``decline``). The station's word on each bundle is kept in ``.province/state.json`` until
the hub has it, so no report is lost when the network is down.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from playout.i18n import msg
from playout.library.catalog import sha256_of
from playout.oslock import lock_file
from playout.problems import Location, PlayoutError, Problem
from playout.schedule.checks import session_missing
from playout.schedule.model import Station
from playout.store import ClipRow, Database
from playout.sync.bundle_client import HubClient
from playout.sync.bundle_format import (
    PROVINCE_DIR,
    Manifest,
    UnsafeBundle,
    parse_manifest,
    station_path,
)
from playout.sync.bundle_state import STATE_DIR, BundleState
from playout.sync.runner import HubError


@dataclass(frozen=True)
class Outcome:
    name: str
    version: int
    state: str  # applied | waiting | refused | declined | removed | unchanged | failed
    reason: str = ""  # English, as the station keeps it and the hub receives it
    problems: list[Problem] = field(default_factory=list)  # why refused, to show in words

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "state": self.state,
                "reason": self.reason}  # fmt: skip


def _inside(path: Path, folder: Path) -> bool:
    """``path`` stays in ``folder`` once links are followed (no link may lead out)."""
    return path.resolve().is_relative_to(folder.resolve())


class Puller:
    def __init__(
        self,
        root: Path,
        station: Station,
        client: HubClient,
        db: Database,
        *,
        review: bool = False,
    ) -> None:
        self.root = root
        self.station = station
        self.client = client
        self.db = db
        self.review = review
        self.base = root / STATE_DIR

    # ---------------------------------------------------------------- the whole pull

    def run(self, now: datetime) -> list[Outcome]:
        """Fetch, check and apply what the hub addresses to this station; then report."""
        with self._locked():
            state = BundleState(self.root)
            try:
                wanted = self.client.wanted()
                outcomes = self._follow(wanted, state, now)
            finally:
                state.save()
            self._send_reports(state)
            return outcomes

    @contextlib.contextmanager
    def _locked(self) -> Any:
        self.base.mkdir(parents=True, exist_ok=True)
        fh: IO[str] = (self.base / "lock").open("a+", encoding="utf-8")
        try:
            try:
                lock_file(fh)
            except OSError:
                raise PlayoutError(
                    "another playout is fetching the province's campaigns for this station",
                    "wait for it to finish (the daemon does it at every sync)",
                ) from None
            yield
        finally:
            fh.close()

    def _follow(self, wanted: dict[str, Any], state: BundleState, now: datetime) -> list[Outcome]:
        outcomes: list[Outcome] = []
        live: set[str] = set()
        for data in wanted.get("bundles", []):
            try:
                manifest = parse_manifest(data)
            except UnsafeBundle as exc:
                name = data.get("name") if isinstance(data, dict) else None
                version = data.get("version") if isinstance(data, dict) else None
                if isinstance(name, str) and isinstance(version, int):
                    state.set(name[:63], version, "refused", f"unsafe bundle: {exc}", now)
                    live.add(name)
                outcomes.append(Outcome(str(name), int(version or 0), "refused", str(exc)))
                continue
            live.add(manifest.name)
            outcomes.append(self._one(manifest, state, now))
        for name in sorted(set(state.bundles) - live):
            entry = state.bundles[name]
            if entry["state"] == "removed":
                continue
            self._remove(name)
            state.set(name, entry["version"], "removed", "withdrawn by the province", now)
            outcomes.append(Outcome(name, entry["version"], "removed"))
        return outcomes

    def _one(self, manifest: Manifest, state: BundleState, now: datetime) -> Outcome:
        name, version = manifest.name, manifest.version
        known = state.bundles.get(name, {})
        files_now = self._station_digest(name)
        if known.get("version") == version:
            if known["state"] in ("applied", "declined", "waiting"):
                return Outcome(name, version, "unchanged", known.get("reason", ""))
            if known["state"] == "refused" and known.get("station_files") == files_now:
                return Outcome(name, version, "unchanged", known.get("reason", ""))
        try:
            self._download(manifest, now)
        except HubError as exc:
            return Outcome(name, version, "failed", str(exc))
        except _Refused as exc:
            state.set(name, version, "refused", str(exc), now)
            state.bundles[name]["station_files"] = files_now
            return Outcome(name, version, "refused", str(exc))
        problems = self.check(name)
        if problems:
            reason = "\n".join(p.format() for p in problems)
            state.set(name, version, "refused", reason, now)
            state.bundles[name]["station_files"] = files_now
            return Outcome(name, version, "refused", reason, problems)
        if self.review:
            state.set(
                name, version, "waiting", "waiting for the operator (hub.campaigns: review)", now
            )
            return Outcome(name, version, "waiting")
        self._apply(name, version, state, now)
        return Outcome(name, version, "applied")

    # ---------------------------------------------------------------- download and stage

    def _download(self, manifest: Manifest, now: datetime) -> None:
        downloads = self.base / "download"
        downloads.mkdir(parents=True, exist_ok=True)
        staging = self.base / "staging" / manifest.name
        shutil.rmtree(staging, ignore_errors=True)
        audio = self.root / "audio" / PROVINCE_DIR
        for f in manifest.files:
            if f.kind == "clip":
                target = station_path(self.root, manifest.name, f.path)
                audio.mkdir(parents=True, exist_ok=True)
                if not _inside(target.parent if target.parent.exists() else audio, audio):
                    raise _Refused(f"{f.path}: a link in audio/{PROVINCE_DIR}/ leads elsewhere")
                if target.is_symlink():
                    raise _Refused(f"{f.path} is a link at the station; it is never written")
                if target.exists():
                    if sha256_of(target) == f.sha256:
                        self._catalogue(manifest, f.path, f.sha256, f.clip, now)
                        continue
                    raise _Refused(
                        f"{f.path} exists at the station with other audio; the province must "
                        "publish a changed clip under a new name"
                    )
            got = self._local_copy(f.sha256, downloads) if f.kind == "clip" else None
            got = got or self._verified(f.sha256, f.size, downloads)
            if f.kind == "clip":
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(got, target)
                self._catalogue(manifest, f.path, f.sha256, f.clip, now)
            else:
                staged = staging / PurePosixPath(f.path)
                staged.parent.mkdir(parents=True, exist_ok=True)
                os.replace(got, staged)

    def _local_copy(self, sha256: str, downloads: Path) -> Path | None:
        """The same audio from the station's own library (the catalog knows it by sha256): no
        download over a slow line. Checked like a download."""
        from playout.library.catalog import Catalog

        known = Catalog(self.db).by_sha(sha256)
        source = self.root / "audio" / known.file if known is not None else None
        if source is None or not source.is_file() or source.is_symlink():
            return None
        part = downloads / f"{sha256}.part"
        shutil.copyfile(source, part)
        if sha256_of(part) != sha256:
            part.unlink()
            return None
        return part

    def _verified(self, sha256: str, size: int, downloads: Path) -> Path:
        part = downloads / f"{sha256}.part"
        for attempt in range(2):
            self.client.fetch(sha256, part, size)
            if part.stat().st_size == size and sha256_of(part) == sha256:
                return part
            part.unlink()  # corrupted on the way: fetched again from the start, once
            if attempt == 0:
                time.sleep(0.5)
        raise HubError(f"the file {sha256[:12]}… arrived corrupted twice; trying later", retry=True)

    def _catalogue(
        self, manifest: Manifest, path: str, sha256: str, figures: dict[str, Any], now: datetime
    ) -> None:
        from playout.library.catalog import Catalog

        catalog = Catalog(self.db)
        rel = PurePosixPath(path).relative_to("audio").as_posix()
        known = catalog.by_sha(sha256)
        if known is not None:  # the station's own clip: one row, the bundle's path a copy of it
            if known.file != rel:
                catalog.add_copy(rel, sha256, f"{manifest.name} v{manifest.version}", now)
            return
        source = str(figures.get("source_name", PurePosixPath(path).name))
        catalog.add(
            ClipRow(
                sha256=sha256,
                file=rel,
                title=unicodedata.normalize("NFC", Path(source).stem),
                duration_ms=int(figures.get("duration_ms", 0)),
                sample_rate=int(figures.get("sample_rate", 0)),
                channels=int(figures.get("channels", 0)),
                loudness_before=float(figures.get("loudness_before", 0.0)),
                peak_before=float(figures.get("peak_before", 0.0)),
                loudness_after=float(figures.get("loudness_after", 0.0)),
                peak_after=float(figures.get("peak_after", 0.0)),
                trimmed_ms=int(figures.get("trimmed_ms", 0)),
                source_name=f"{manifest.name} v{manifest.version}: {source}"[:500],
                source_sha256=str(figures.get("source_sha256", sha256)),
                imported_at=now,
            )
        )

    # ---------------------------------------------------------------- check, apply, remove

    def _own_files(self, name: str) -> list[Path]:
        return station_files(self.root, name)

    def _station_digest(self, name: str) -> str:
        digest = hashlib.sha256()
        for p in self._own_files(name):
            digest.update(str(p).encode())
            with contextlib.suppress(OSError):
                digest.update(p.read_bytes())
        return digest.hexdigest()

    def check(self, name: str) -> list[Problem]:
        """The errors of the station's own files with the staged bundle (empty: it fits), named
        where the files will live; a campaign of the bundle naming a session this station does
        not have says the station's two choices (the bundle's files are not the station's to
        edit)."""
        from playout.library.catalog import Catalog
        from playout.station_folder import load_station

        staging = self.base / "staging" / name
        staged = sorted(p for p in staging.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))
        loaded = load_station(
            self.root, [*self._own_files(name), *staged], catalog=Catalog(self.db), capacity=False
        )
        prefix = f"{STATE_DIR}/staging/{name}/"
        out = []
        for p in loaded.errors:
            file = p.location.file
            for kind in ("schedules", "playlists"):  # name the files where they will live
                file = file.replace(f"{prefix}{kind}/", f"{kind}/{PROVINCE_DIR}/{name}/")
            hint = p.hinted or p.hint
            said = dict(p.said.values) if p.said is not None else {}
            missing = p.said is not None and p.said.template == session_missing("", "").template
            if missing and file.startswith(f"schedules/{PROVINCE_DIR}/"):
                hint = msg(
                    'this station has no session "{session}": add a session of that name to '
                    "its schedule (schedules/), or decline the bundle: playout campaign "
                    'decline {bundle} --reason "..."',
                    session=said.get("session", "?"),
                    bundle=name,
                )
            where = Location(file, p.location.line, p.location.column)
            out.append(Problem.of(where, p.said or p.message, hint, p.severity))
        return out

    def _apply(self, name: str, version: int, state: BundleState, now: datetime) -> None:
        staging = self.base / "staging" / name
        old = self.base / "old" / name
        shutil.rmtree(old, ignore_errors=True)
        for kind in ("schedules", "playlists"):
            live = self.root / kind / PROVINCE_DIR / name
            new = staging / kind
            if live.exists():
                (old / kind).parent.mkdir(parents=True, exist_ok=True)
                os.replace(live, old / kind)
            if new.exists():
                live.parent.mkdir(parents=True, exist_ok=True)
                os.replace(new, live)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        state.set(name, version, "applied", "", now)

    # ---------------------------------------------------------------- the operator decides

    def decide(self, name: str, accept: bool, reason: str, now: datetime) -> Outcome:
        """``playout campaign accept|decline NAME``: a bundle waiting in review is checked again
        and applied, or declined with the reason (both reported to the hub)."""
        with self._locked():
            state = BundleState(self.root)
            entry = state.bundles.get(name)
            if entry is None or entry["state"] != "waiting":
                waiting = sorted(n for n, e in state.bundles.items() if e["state"] == "waiting")
                raise PlayoutError(
                    f"no bundle {name!r} is waiting for a decision",
                    f"waiting: {', '.join(waiting)}" if waiting else "none is waiting",
                )
            version = int(entry["version"])
            try:
                if not accept:
                    shutil.rmtree(self.base / "staging" / name, ignore_errors=True)
                    state.set(name, version, "declined", reason or "declined by the operator", now)
                    return Outcome(name, version, "declined", reason)
                problems = self.check(name)
                if problems:
                    text = "\n".join(p.format() for p in problems)
                    state.set(name, version, "refused", text, now)
                    return Outcome(name, version, "refused", text, problems)
                self._apply(name, version, state, now)
                return Outcome(name, version, "applied")
            finally:
                state.save()
                self._send_reports(state)

    def _remove(self, name: str) -> None:
        for kind in ("schedules", "playlists"):
            shutil.rmtree(self.root / kind / PROVINCE_DIR / name, ignore_errors=True)
        shutil.rmtree(self.base / "staging" / name, ignore_errors=True)

    def _send_reports(self, state: BundleState) -> None:
        while state.unreported:
            try:
                self.client.report(state.unreported[0])
            except HubError:
                break  # kept: sent with the next sync
            state.unreported.pop(0)
            state.save()


class _Refused(Exception):
    """The bundle cannot be applied at this station (the reason goes to the hub)."""


def station_files(root: Path, name: str) -> list[Path]:
    """The station's schedule and playlist files, but for those of bundle ``name`` (the staged
    version is checked in their place)."""
    from playout.schedule.loader import find_files

    schedules, playlists = find_files(root)
    mine = (root / "schedules" / PROVINCE_DIR / name, root / "playlists" / PROVINCE_DIR / name)
    return [p for p in schedules + playlists if not any(p.is_relative_to(m) for m in mine)]


def puller_for(root: Path, station: Station, token: str, db: Database) -> Puller:
    assert station.hub is not None
    return Puller(
        root,
        station,
        HubClient(station.hub.url, token),
        db,
        review=station.hub.campaigns == "review",
    )
