"""The last-known-good snapshot of the knowledge files, kept in the data directory.

Why: a moderator may save a broken file; the running bot keeps serving the previous version,
but a restart would read the broken files and exit. The snapshot is what it served, so a
restart can serve it again (and say so loudly) instead of crash-looping.

Layout: `data_dir/last-good` is a relative symlink to `data_dir/last-good-<hash>/`, a copy of
the knowledge files plus `manifest.json` (each file's SHA-256, the folder fingerprint, when it
was saved). A new snapshot is written to a temporary folder, fsynced, renamed into place, and
published by replacing the symlink atomically: a crash leaves the old snapshot or the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.decide import Thresholds
from bot.core.loader import KnowledgeError
from bot.storage.folder import fingerprint, read_knowledge_files
from bot.storage.store import KnowledgeStore
from bot.storage.transaction import fsync_directory

__all__ = [
    "LINK",
    "Fallback",
    "LastGood",
    "Snapshot",
    "open_store",
    "read_snapshot",
    "save_snapshot",
    "snapshot_store",
]

log = logging.getLogger(__name__)

LINK = "last-good"
MANIFEST = "manifest.json"
_LOCK = ".last-good.lock"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A verified copy of knowledge files that once validated."""

    directory: Path
    fingerprint: str
    saved_at: dt.datetime
    files: Mapping[str, str]  # name -> SHA-256 of its bytes


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_snapshot(data_dir: Path) -> Snapshot | None:
    """Return the snapshot in `data_dir` if there is one and every file matches its manifest."""
    link = data_dir / LINK
    if not link.exists():
        return None
    directory = link.resolve()
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        hashes: dict[str, str] = dict(manifest["files"])
        texts = read_knowledge_files(directory)
        found = {name: _sha256(text.encode("utf-8")) for name, text in texts.items()}
        if found != hashes or fingerprint(texts) != manifest["fingerprint"]:
            log.error("The last-good snapshot in %s does not match its manifest", directory)
            return None
        return Snapshot(
            directory=directory,
            fingerprint=str(manifest["fingerprint"]),
            saved_at=dt.datetime.fromisoformat(manifest["saved_at"]),
            files=hashes,
        )
    except (OSError, ValueError, KeyError, TypeError, KnowledgeError) as error:
        log.error("The last-good snapshot in %s is unreadable: %s", directory, error)
        return None


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Several processes may share one data directory: one snapshot writer at a time."""
    fd = os.open(data_dir / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_copy(folder: Path, files: Mapping[str, str], digest: str, now: dt.datetime) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    manifest = {
        "fingerprint": digest,
        "saved_at": now.isoformat(timespec="seconds"),
        "files": {name: _sha256(text.encode("utf-8")) for name, text in sorted(files.items())},
    }
    with (folder / MANIFEST).open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    for directory in {folder, *((folder / name).parent for name in files)}:
        fsync_directory(directory)


def save_snapshot(
    data_dir: Path, files: Mapping[str, str], *, now: dt.datetime | None = None
) -> Snapshot:
    """Publish `files` (texts that validated) as the last-good snapshot, atomically."""
    data_dir.mkdir(parents=True, exist_ok=True)
    digest = fingerprint(files)
    with _locked(data_dir):
        current = read_snapshot(data_dir)
        if current is not None and current.fingerprint == digest:
            return current
        target = data_dir / f"{LINK}-{digest[:16]}"
        if target.exists():
            shutil.rmtree(target)  # a damaged copy of the same files
        temp = Path(tempfile.mkdtemp(prefix=f".{LINK}-", dir=data_dir))
        try:
            _write_copy(temp, files, digest, now or dt.datetime.now(dt.UTC))
            os.rename(temp, target)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        link = data_dir / f".{LINK}.link"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(target.name)
        os.replace(link, data_dir / LINK)
        fsync_directory(data_dir)
        for old in data_dir.glob(f"{LINK}-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        for stale in data_dir.glob(f".{LINK}-*"):
            shutil.rmtree(stale, ignore_errors=True)
    saved = read_snapshot(data_dir)
    if saved is None:
        raise OSError(f"the snapshot just written to {target} does not verify")
    log.info("Saved the knowledge files as the last-good snapshot (%s)", target.name)
    return saved


def snapshot_store(data_dir: Path, store: KnowledgeStore) -> Snapshot | None:
    """Snapshot the store's folder if it still holds exactly the files being served."""
    files = read_knowledge_files(store.directory)
    if store.fingerprint is None or fingerprint(files) != store.fingerprint:
        return None  # the files moved on since they were loaded; the next reload snapshots
    return save_snapshot(data_dir, files)


class LastGood:
    """Keeps the snapshot in step with the knowledge served, off the event loop, one at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = asyncio.Lock()

    async def refresh(self, store: KnowledgeStore) -> None:
        """Snapshot what the store serves; a failure is logged, never raised (serving goes on)."""
        async with self._lock:
            try:
                await asyncio.to_thread(snapshot_store, self.data_dir, store)
            except (OSError, KnowledgeError):
                log.warning("Could not save the last-good snapshot", exc_info=True)


@dataclass(frozen=True, slots=True)
class Fallback:
    """Start-up served the snapshot because the files did not validate."""

    snapshot: Snapshot
    error: KnowledgeError


def open_store(
    knowledge_dir: Path, thresholds: Thresholds, *, data_dir: Path
) -> tuple[KnowledgeStore, Fallback | None]:
    """Load the knowledge files; if they are invalid, the last-good snapshot instead.

    The fallback store still follows (and edits) `knowledge_dir`: the first reload of valid
    files there replaces the snapshot's base. Raises the files' KnowledgeError when there is no
    usable snapshot.
    """
    try:
        store = KnowledgeStore(knowledge_dir, thresholds)
    except KnowledgeError as error:
        snapshot = read_snapshot(data_dir)
        if snapshot is None:
            raise
        store = KnowledgeStore(snapshot.directory, thresholds)
        store.directory = knowledge_dir
        store.last_reload_ok = False
        return store, Fallback(snapshot, error)
    try:
        snapshot_store(data_dir, store)
    except OSError:
        log.warning("Could not save the last-good snapshot", exc_info=True)
    return store, None
