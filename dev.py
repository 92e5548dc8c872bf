#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+.

    python3 dev.py start   # start the product on its embedded default
    python3 dev.py test    # lint, types, dependency direction, the whole test suite
    python3 dev.py bench   # run every benchmark in benchmarks/

The first run creates `.venv/` from `requirements.lock` (pinned, hash-checked) and installs this
package into it in editable mode; later runs reuse it until the lock file changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".lock-sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _run(*cmd: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


def ensure_venv() -> None:
    """Create or refresh .venv when it is missing or the lock file changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be run by an older python3)
        sys.exit("microneedling needs Python 3.11 or newer")
    wanted = (
        hashlib.sha256(LOCK.read_bytes()).hexdigest()
        + hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    )
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    py = BIN / "python"
    _run(
        py,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--require-hashes",
        "--only-binary",
        ":all:",
        "-r",
        LOCK,
    )
    _run(
        py,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-build-isolation",
        "-e",
        ".",
    )
    STAMP.write_text(wanted)


def start(args: list[str]) -> int:
    """``microneedling web`` on the embedded default: the demo clinics, unless ``--no-demo``."""
    demo = [] if {"--demo", "--no-demo"} & set(args) else ["--demo"]
    return _run(BIN / "microneedling", "web", *demo, *args, check=False)


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist's options unless the arguments choose their own (``-n``, ``-p no:xdist``):
    one worker per CPU, at least two (MICRONEEDLING_TEST_WORKERS overrides; 0 runs the tests in
    pytest's own process). Tests in one ``xdist_group`` stay on one worker."""
    if any(a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in args):
        return []
    workers = os.environ.get("MICRONEEDLING_TEST_WORKERS") or str(max(2, os.cpu_count() or 1))
    return ["-n", workers, "--dist", "loadgroup"]


def test(args: list[str]) -> int:
    py = BIN / "python"
    steps: list[list[str | Path]] = [
        [py, "-m", "ruff", "check", "src", "tests", "benchmarks", "dev.py"],
        [py, "-m", "ruff", "format", "--check", "src", "tests", "benchmarks", "dev.py"],
        [py, "-m", "mypy"],
        [BIN / "microneedling", "kb", "validate"],
        [py, "-m", "pytest", *parallel(args), *args],
    ]
    for step in steps:
        code = _run(*step, check=False)
        if code != 0:
            print(f"FAILED: {' '.join(str(s) for s in step)}", file=sys.stderr)
            return code
    return 0


def bench(args: list[str]) -> int:
    """Run the benchmark scripts (``benchmarks/*.py`` but the helpers, ``_*.py``) one after
    another, each printing its table; options (``--quick``: small scale, under a minute for
    all) go to every script, names (``records api``) choose scripts. Each script shows a
    progress bar for its long steps; this says which script runs, and how long each took."""
    import time

    names = {arg.removesuffix(".py") for arg in args if not arg.startswith("-")}
    options = [arg for arg in args if arg.startswith("-")]
    scripts = [
        script
        for script in sorted((ROOT / "benchmarks").glob("*.py"))
        if not script.name.startswith("_") and (not names or script.stem in names)
    ]
    unknown = names - {script.stem for script in scripts}
    if unknown or not scripts:
        print(f"no benchmark named {', '.join(sorted(unknown)) or '…'}", file=sys.stderr)
        return 2
    failed = []
    started = time.monotonic()
    for number, script in enumerate(scripts, 1):
        said = f"[{number}/{len(scripts)}] benchmarks/{script.name}"
        print(f"{said} {' '.join(options)}".rstrip(), flush=True)
        began = time.monotonic()
        code = subprocess.run([str(BIN / "python"), str(script), *options], cwd=ROOT).returncode
        outcome = "done" if code == 0 else f"FAILED (exit {code})"
        print(f"{said}: {outcome} in {time.monotonic() - began:.0f} s", flush=True)
        if code != 0:
            failed.append(script.name)
    total = time.monotonic() - started
    print(
        f"{len(scripts)} benchmarks in {total:.0f} s"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


COMMANDS = {"start": start, "test": test, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [args...]")
    ensure_venv()
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
