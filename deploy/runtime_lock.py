"""Print the part of requirements.lock the installed product needs to run, hashes kept.

requirements.lock pins the product and its development tools (``--extra dev``) with their hashes.
The container image (deploy/Dockerfile) installs the whole lock in its build stage, builds the
product's wheel there, then runs this script to keep the lock's entries for the product's own
dependencies only (followed through the installed packages' metadata, extras and markers
included), and installs those, hash-checked, in the runtime stage: no test runner, browser driver
or linter in the image.

    python deploy/runtime_lock.py requirements.lock > runtime.lock
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")


def runtime_closure(root: str = "microneedling") -> set[str]:
    """The canonical names of ``root`` and every package it needs, in this environment."""
    needed: set[str] = set()
    pending: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            raise SystemExit(
                f"{name} is not installed here: install the whole lock first"
            ) from None
        needed.add(canonicalize_name(name))
        for text in requires:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is not None and not any(
                marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                continue
            pending.append((requirement.name, frozenset(requirement.extras)))
    needed.discard(canonicalize_name(root))
    return needed


def runtime_lock(lock: str, needed: set[str]) -> str:
    """The entries of ``lock`` (each a ``name==version`` line, its hash lines and comments) for
    the packages in ``needed``."""
    kept: list[str] = []
    keep = False
    for line in lock.splitlines():
        match = ENTRY.match(line)
        if match:
            keep = canonicalize_name(match.group(1)) in needed
        elif line and not line.startswith((" ", "\t")):
            keep = False
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def main() -> None:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock").read_text()
    needed = runtime_closure()
    text = runtime_lock(lock, needed)
    found = {canonicalize_name(m.group(1)) for m in map(ENTRY.match, text.splitlines()) if m}
    missing = needed - found
    if missing:
        raise SystemExit(f"not in the lock: {', '.join(sorted(missing))}")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
