"""Photo files: content-addressed, one folder per clinic, written atomically.

A file is named by the SHA-256 of its bytes, so writing the same photo twice is harmless and a file
written by a transaction that then rolled back is an unreferenced duplicate at worst, never a wrong
photo.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^clinic-\d+/[0-9a-f]{64}\.(jpg|png)$")


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
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
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
