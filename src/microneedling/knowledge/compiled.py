"""The knowledge base compiled once and kept in the user's cache folder.

Reading and validating the YAML files takes longer than a whole screening; a command-line screening
that starts a fresh process would spend most of its time there. The validated
:class:`~microneedling.knowledge.knowledge_base.KnowledgeBase` is therefore pickled into
``~/.cache/microneedling/`` (``$XDG_CACHE_HOME/microneedling``, or ``MICRONEEDLING_CACHE_DIR``;
set that to ``off`` to never cache), under a name made of the SHA-256 of every file in the
knowledge-base folder, of this package's code, and of the Python and Pydantic versions: a change to
any of them is a different file, so a stale compiled copy is never used.

The cache is only ever a shortcut. A cache folder that cannot be created or written, a file that
cannot be read, is truncated, corrupt, or not ours (another owner, writable by others) is ignored and
the YAML is loaded as usual.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import VERSION as PYDANTIC_VERSION

from microneedling.knowledge.knowledge_base import KnowledgeBase

#: Environment variable naming the cache folder (``off`` or empty: no cache).
CACHE_ENV = "MICRONEEDLING_CACHE_DIR"
#: Marks a pickle as ours, with the layout of what follows it.
_FORMAT = "microneedling-compiled-knowledge-base/1"
#: Compiled copies kept (one per version of the files or code recently used).
KEEP = 8

_CODE = Path(__file__).resolve().parent


def cache_folder() -> Path | None:
    """Where compiled knowledge bases are kept, or None when caching is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        stripped = configured.strip()
        return None if stripped in ("", "off") else Path(stripped)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".cache"
    return root / "microneedling"


def source_key(folder: Path) -> str:
    """SHA-256 over every file of ``folder``, this package's code and the Python and Pydantic
    versions (raises :class:`OSError` when a file cannot be read)."""
    digest = hashlib.sha256()
    digest.update(f"{_FORMAT}\0{sys.version}\0{PYDANTIC_VERSION}\0{folder.resolve()}\0".encode())
    files = sorted(path for path in folder.iterdir() if path.is_file())
    for path in [*files, *sorted(_CODE.glob("*.py"))]:
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_compiled(folder: Path, load: Callable[[Path], KnowledgeBase]) -> KnowledgeBase:
    """The knowledge base in ``folder``: its compiled copy when there is a good one, else
    ``load(folder)``, compiled for next time when the cache folder can be written."""
    cache = cache_folder()
    if cache is None:
        return load(folder)
    try:
        key = source_key(folder)
    except OSError:
        return load(folder)
    file = cache / f"knowledge-{key}.pickle"
    compiled = read_compiled(file, key)
    if compiled is not None:
        return compiled
    kb = load(folder)
    write_compiled(file, key, kb)
    return kb


def read_compiled(file: Path, key: str) -> KnowledgeBase | None:
    """The knowledge base pickled in ``file`` for ``key``; None when absent or not trustworthy."""
    try:
        if not trusted(file.parent) or not trusted(file):
            return None
        with file.open("rb") as handle:
            data = pickle.load(handle)
    except Exception:  # a missing, truncated or corrupt file, or classes that changed
        return None
    if (
        isinstance(data, tuple)
        and len(data) == 3
        and data[0] == _FORMAT
        and data[1] == key
        and isinstance(data[2], KnowledgeBase)
    ):
        return data[2]
    return None


def write_compiled(file: Path, key: str, kb: KnowledgeBase) -> None:
    """Pickle ``kb`` into ``file`` atomically; any failure leaves no file and is not an error."""
    import tempfile  # only when writing: it is slow to import

    temporary: str | None = None
    try:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not trusted(file.parent):
            return
        handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=".knowledge-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump((_FORMAT, key, kb), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, file)
        temporary = None
        _forget_old(file.parent)
    except (OSError, pickle.PicklingError):
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def trusted(path: Path) -> bool:
    """Ours and writable only by us (POSIX); anything else could have been planted."""
    status = path.stat()
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # pragma: no cover - Windows: the folder is the user's own profile
        return True
    return status.st_uid == getuid() and not status.st_mode & 0o022


def _forget_old(folder: Path) -> None:
    compiled = sorted(
        folder.glob("knowledge-*.pickle"), key=lambda path: path.stat().st_mtime, reverse=True
    )
    for stale in compiled[KEEP:]:
        stale.unlink(missing_ok=True)
