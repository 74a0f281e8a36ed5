"""`/kb export` attachments: every knowledge file, one each or zipped, never a silent cut."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

__all__ = ["ARCHIVE_NAME", "MAX_ATTACHMENTS", "export_attachments"]

# Discord's limit of attachments on one message.
MAX_ATTACHMENTS = 10
ARCHIVE_NAME = "knowledge.zip"


def _zipped(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)  # subfolders keep their paths inside the archive
    return buffer.getvalue()


def export_attachments(files: Mapping[str, bytes], size_limit: int) -> dict[str, bytes]:
    """One attachment per file when they fit on one message; else one .zip of them all.

    The caller checks the result against `size_limit` again: a zip can still be too big.
    """
    flat = {name.replace("/", "_"): data for name, data in files.items()}
    fits = len(flat) <= MAX_ATTACHMENTS and sum(map(len, flat.values())) <= size_limit
    if fits and len(flat) == len(files):  # two paths flattening to one name: zip them
        return flat
    return {ARCHIVE_NAME: _zipped(files)}
