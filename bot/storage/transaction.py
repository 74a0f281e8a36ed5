"""Changing the knowledge files safely: one writer at a time, each file replaced whole.

Every change holds a process lock and an advisory file lock shared by every process using
the folder, reads the files from disk (another process may have changed them), and writes
each file to a temp file, fsyncs it and renames it over the old one, so a crash leaves the
old or the new file, never half of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from bot.storage.folder import read_knowledge_files

__all__ = ["LOCK_FILE", "finish", "fsync_directory", "locked", "read_files", "write_files"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

LOCK_FILE = ".lock"
# Temp files never end in .yaml, so a crash that leaves one behind cannot be loaded as data.
_TEMP_SUFFIX = ".tmp"


@contextlib.asynccontextmanager
async def locked(directory: Path, lock: asyncio.Lock) -> AsyncIterator[None]:
    """Hold the process lock, then the folder's file lock, taken in a thread."""
    async with lock:
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            await _flock(fd)
        except asyncio.CancelledError:
            raise  # _flock closes the descriptor once the thread lets go of it
        except BaseException:
            os.close(fd)
            raise
        try:
            yield
        finally:
            os.close(fd)  # closing releases the lock


async def finish(work: Coroutine[Any, Any, _T]) -> _T:
    """Run `work` to the end even if the caller is cancelled meanwhile (then re-raise that)."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("Saving a knowledge change failed after a cancel", exc_info=task.exception())
        raise


async def _flock(fd: int) -> None:
    """Take the exclusive lock without blocking the event loop, even if cancelled meanwhile."""
    waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
    try:
        await asyncio.shield(waiting)
    except asyncio.CancelledError:
        # The thread cannot be interrupted; when it gets the lock, let go of it at once.
        waiting.add_done_callback(lambda _: os.close(fd))
        raise


def read_files(directory: Path) -> dict[str, str]:
    """Clear temp files left by a crash, then read the knowledge files exactly."""
    _sweep(directory)
    return read_knowledge_files(directory)


def _sweep(directory: Path) -> None:
    """Delete temp files a crashed writer left behind; safe because we hold the file lock."""
    for pattern in (f".*.yaml.*{_TEMP_SUFFIX}", f".*.yml.*{_TEMP_SUFFIX}"):
        for path in directory.rglob(pattern):
            with contextlib.suppress(OSError):
                path.unlink()
                log.warning("Removed %s, left behind by an interrupted write", path.name)


def write_files(
    directory: Path, after: Mapping[str, str | None], before: Mapping[str, str | None]
) -> None:
    """Write every file atomically; if one fails, put back the ones already written."""
    done: list[str] = []
    try:
        for name, text in after.items():
            _write_one(directory / name, text)
            done.append(name)
    except BaseException:
        for name in reversed(done):
            try:
                _write_one(directory / name, before[name])
            except OSError:
                log.exception("Could not restore %s after a failed write", name)
        raise


def _write_one(path: Path, text: str | None) -> None:
    """Replace (or delete, for None) one file so that a crash leaves the old or the new one."""
    if text is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fsync_directory(path.parent)
        return
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename or delete durable: it lives in the directory's own data."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
