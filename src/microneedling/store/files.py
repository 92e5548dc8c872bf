"""Photo files: content-addressed, one folder per clinic, written atomically.

A file is named by the SHA-256 of its bytes, so writing the same photo twice is harmless and a file
written by a transaction that then rolled back is an unreferenced duplicate at worst, never a wrong
photo.

Photos are patient data: the folders are made ``0700`` and the files ``0600`` (owner only),
whatever the process's umask.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^clinic-\d+/[0-9a-f]{64}\.(jpg|png)$")

#: Owner-only modes of the photo folders and files.
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(folder: Path) -> None:
    """Make ``folder`` (and missing parents) readable by the owner only when this creates it."""
    if folder.is_dir():
        return
    if not folder.parent.exists():
        private_folder(folder.parent)
    with contextlib.suppress(FileExistsError):  # made meanwhile by another process
        folder.mkdir(mode=FOLDER_MODE)


class PhotoFiles:
    """The folder photos are stored in, and the limits a photo must keep to."""

    def __init__(
        self, root: Path, *, max_bytes: int = 25_000_000, max_pixels: int = 50_000_000
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def put(self, clinic_id: int, sha256: str, suffix: str, data: bytes) -> str:
        """Store ``data`` (whose hash is ``sha256``); return its path relative to the root."""
        relative = f"clinic-{int(clinic_id)}/{sha256}.{suffix}"
        if not _NAME.match(relative):
            raise ValueError(f"not a photo file name: {relative!r}")
        target = self.root / relative
        if target.exists() and target.stat().st_size == len(data):
            return relative
        private_folder(target.parent)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            os.fchmod(handle, FILE_MODE)  # mkstemp's 0600 already; said here for the reader
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return relative

    def path(self, relative: str) -> Path:
        if not _NAME.match(relative):
            raise ValueError(f"not a photo file name: {relative!r}")
        return self.root / relative

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    def stored(self) -> list[str]:
        """Every photo file under the folder, as relative names (sorted)."""
        if not self.root.is_dir():
            return []
        return sorted(
            relative
            for path in self.root.glob("clinic-*/*")
            if _NAME.match(relative := path.relative_to(self.root).as_posix())
        )
