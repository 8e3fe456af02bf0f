"""The clip catalog: what was imported, and proof that the file on disk is that clip."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from playout.i18n import msg
from playout.library.outcome import ImportStatus, rejected
from playout.library.paths import AUDIO_DIR, ClipPathError
from playout.library.probe import AudioError
from playout.schedule.model import LibrarySettings
from playout.store import ClipCopyRow, ClipRow, Database

if TYPE_CHECKING:
    from playout.library.ingest import Prepared

DURATION_TOLERANCE_MS = 50


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def slug(name: str) -> str:
    """An ASCII file name for any (Vietnamese) title: "Lời kêu gọi 5K" -> "loi-keu-goi-5k"."""
    text = name.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:80] or "clip"


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def by_source(self, source_sha256: str) -> ClipRow | None:
        with self.db.session() as s:
            return s.scalars(
                select(ClipRow).where(ClipRow.source_sha256 == source_sha256).limit(1)
            ).first()

    def by_sha(self, sha256: str) -> ClipRow | None:
        with self.db.session() as s:
            return s.get(ClipRow, sha256)

    def current(self, file: str) -> ClipRow | None:
        """The latest version of the clip stored at ``file`` (relative to audio/): imported
        there, or a copy of a catalogued clip put there later (a province bundle's)."""
        with self.db.session() as s:
            own = s.scalars(
                select(ClipRow)
                .where(ClipRow.file == file)
                .order_by(ClipRow.imported_at.desc())
                .limit(1)
            ).first()
            copy = s.get(ClipCopyRow, file)
            if copy is not None and (own is None or copy.added_at >= own.imported_at):
                return s.get(ClipRow, copy.sha256) or own
            return own

    def add_copy(self, file: str, sha256: str, source: str, now: datetime) -> None:
        """``file`` (relative to audio/) holds the catalogued clip ``sha256``'s exact audio:
        one row per audio, its paths checked alike."""
        with self.db.session() as s, s.begin():
            s.merge(ClipCopyRow(file=file, sha256=sha256, added_at=now, source=source[:500]))

    def copies(self) -> dict[str, list[str]]:
        """sha256 -> the other paths that hold that clip's audio, where it still does."""
        # a copy stands until a clip is imported at its path after it (current()'s rule)
        reimported = (
            select(ClipRow.sha256)
            .where(ClipRow.file == ClipCopyRow.file, ClipRow.imported_at > ClipCopyRow.added_at)
            .exists()
        )
        with self.db.session() as s:
            rows = s.execute(
                select(ClipCopyRow.sha256, ClipCopyRow.file)
                .where(~reimported)
                .order_by(ClipCopyRow.file)
            ).all()
        found: dict[str, list[str]] = {}
        for sha256, file in rows:
            found.setdefault(sha256, []).append(file)
        return found

    def imported_as(self, name: str) -> list[str]:
        """The clips (paths in audio/) imported from a file called ``name`` (its original name,
        any folder): what an operator who writes the original name in a playlist means."""
        with self.db.session() as s:
            files = s.scalars(
                select(ClipRow.file).where(ClipRow.source_name == name).order_by(ClipRow.file)
            ).all()
        return sorted(set(files))

    def all_current(self) -> list[ClipRow]:
        with self.db.session() as s:
            rows = s.scalars(select(ClipRow).order_by(ClipRow.file, ClipRow.imported_at)).all()
        latest: dict[str, ClipRow] = {}
        for row in rows:
            latest[row.file] = row
        return list(latest.values())

    def add(self, row: ClipRow) -> None:
        with self.db.session() as s, s.begin():
            s.add(row)


@dataclass(frozen=True)
class ImportResult:
    source: Path
    status: ImportStatus
    clip: ClipRow

    def as_dict(self) -> dict[str, Any]:
        """As plain JSON values (what the daemon answers to an import)."""
        row = self.clip
        return {
            "source": str(self.source),
            "status": self.status.value,
            "file": row.file,
            "duration_ms": row.duration_ms,
            "loudness_before": row.loudness_before,
            "loudness_after": row.loudness_after,
            "peak_after": row.peak_after,
            "trimmed_ms": row.trimmed_ms,
            "imported_at": row.imported_at.isoformat(),
        }


def import_one(
    catalog: Catalog,
    library: Path,
    source: Path,
    *,
    into: str,
    title: str | None,
    settings: LibrarySettings,
    now: datetime,
) -> dict[str, Any]:
    """``import_clip`` for one file of a batch, as plain JSON values: a file that is refused,
    or that meets a bug, is reported as such (status "rejected", the error, a hint) and never
    stops the others."""
    try:
        result = import_clip(
            catalog, library, source, into=into, title=title, settings=settings, now=now
        )
    except (AudioError, ClipPathError) as exc:
        return rejected(source, exc.said, exc.hinted)
    except Exception as exc:  # noqa: BLE001 - one file's bug never stops the batch
        return rejected(
            source,
            msg("internal error ({error})", error=repr(exc)),
            msg("this is a bug in playout; please report it with the file"),
        )
    return result.as_dict()


def _target_folder(library: Path, into: str) -> tuple[Path, str]:
    text = into.strip().replace("\\", "/").strip("/")
    if text == AUDIO_DIR or text.startswith(AUDIO_DIR + "/"):
        text = text[len(AUDIO_DIR) :].strip("/")
    if not text:
        return library, ""
    if text.startswith("/") or ".." in text.split("/") or ":" in text:
        raise ClipPathError(
            msg('--into "{into}" must be a folder inside {folder}/', into=into, folder=AUDIO_DIR)
        )
    folder = library / text
    if not folder.resolve().is_relative_to(library.resolve()):
        raise ClipPathError(msg('--into "{into}" leads outside the audio library', into=into))
    return folder, text


def import_clip(
    catalog: Catalog,
    library: Path,
    source: Path,
    *,
    into: str,
    title: str | None,
    settings: LibrarySettings,
    now: datetime,
) -> ImportResult:
    """Import one file into the library and the catalog.

    Raises :class:`AudioError` or :class:`ClipPathError` with the reason when the file is
    rejected; nothing is then written to the catalog or the library.
    """
    if not source.is_file():
        raise AudioError(
            msg("the file does not exist") if not source.exists() else msg("it is a folder")
        )
    source_sha = sha256_of(source)
    known = catalog.by_source(source_sha)
    if known is not None:
        return ImportResult(source, ImportStatus.DUPLICATE, known)
    from playout.library.ingest import already_prepared  # numpy/scipy: only when importing

    in_library = _inside(library, source)
    prepared = already_prepared(source, settings) if in_library is not None else None
    if prepared is not None and in_library is not None:
        # a playout copy already in the library (e.g. a fresh clone): catalogue it in place,
        # unless that very audio is catalogued already (imported from elsewhere before)
        sha, rel = source_sha, in_library
        known = catalog.by_sha(sha)
        if known is not None:
            return ImportResult(source, ImportStatus.DUPLICATE, known)
    else:
        if not into and in_library is not None:
            into = str(Path(in_library).parent)
        prepared, sha, rel = _write_copy(catalog, library, source, into, settings)
        if prepared is None:
            known = catalog.by_sha(sha)
            assert known is not None
            return ImportResult(source, ImportStatus.DUPLICATE, known)
    row = ClipRow(
        sha256=sha,
        file=rel,
        title=unicodedata.normalize("NFC", title or source.stem),  # macOS names are NFD
        duration_ms=prepared.duration_ms,
        sample_rate=prepared.sample_rate,
        channels=prepared.channels,
        loudness_before=prepared.loudness_before,
        peak_before=prepared.peak_before,
        loudness_after=prepared.loudness_after,
        peak_after=prepared.peak_after,
        trimmed_ms=prepared.trimmed_ms,
        source_name=source.name,
        source_sha256=source_sha,
        imported_at=now,
    )
    catalog.add(row)
    status = ImportStatus.CATALOGUED if prepared.path == source else ImportStatus.IMPORTED
    return ImportResult(source, status, row)


WORK_DIR = ".import-work"  # beside audio/: an import's partial files, never inside the library


def work_folder(library: Path) -> Path:
    """Where imports keep their partial files (the copy being written, the decoded source):
    beside the library, on the same disk (the finished copy is renamed into place), so an
    import cut by a power failure leaves the library clean."""
    return library.parent / WORK_DIR


def sweep_imports(library: Path) -> int:
    """Remove the partial files of imports whose process is gone (the daemon at its start,
    every import before it begins): from the work folder, and those older versions of
    playout left inside the library. Returns how many files went."""
    removed = 0
    places = [work_folder(library), *(p for p in library.rglob("*") if p.is_dir()), library]
    for folder in places:
        if not folder.is_dir():
            continue
        for partial in folder.glob(".import-*-*"):  # the copy (.wav) and the decoded (.f32)
            pid = partial.name.split("-")[1]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            with contextlib.suppress(OSError):
                partial.unlink()
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _move_into(tmp: Path, target: Path) -> None:
    """The finished copy into the library in one step: a rename, or (audio/ on another disk)
    a copy beside the target renamed over it."""
    try:
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        beside = target.with_name(f".import-{os.getpid()}-{target.name}")
        shutil.copyfile(tmp, beside)
        with beside.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(beside, target)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _inside(library: Path, path: Path) -> str | None:
    """``path`` relative to the library, if it lies inside it."""
    try:
        return path.resolve().relative_to(library.resolve()).as_posix()
    except ValueError:
        return None


def _write_copy(
    catalog: Catalog, library: Path, source: Path, into: str, settings: LibrarySettings
) -> tuple[Prepared | None, str, str]:
    """Write the playout copy of ``source``; (None, sha, "") when that audio is catalogued."""
    from playout.library.ingest import prepare

    folder, rel_folder = _target_folder(library, into)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{slug(source.stem)}.wav"
    rel = f"{rel_folder}/{name}" if rel_folder else name
    target = folder / name
    work = work_folder(library)
    work.mkdir(parents=True, exist_ok=True)
    sweep_imports(library)
    fd, tmp_name = tempfile.mkstemp(dir=work, prefix=f".import-{os.getpid()}-", suffix=".wav")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        prepared = prepare(source, settings, tmp)
        sha = sha256_of(tmp)
        if catalog.by_sha(sha) is not None:
            return None, sha, ""
        if target.exists() and sha256_of(target) != sha:
            raise ClipPathError(
                f"{AUDIO_DIR}/{rel} exists already and holds other audio",
                "rename the file you import, or choose another folder with --into",
            )
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it 0600; a backup must read it
        _move_into(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return prepared, sha, rel
