"""Shared fixtures: the shipped knowledge base and an intake builder."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from microneedling.clinical.intake import Intake, parse_intake
from microneedling.clinical.screening import ScreeningResult, screen
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base

ASSESSMENT_DATE = "2026-12-01"

#: The shipped process and Chromium, for tests/browser and tests/e2e.
pytest_plugins = ["tests.shipped_web"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``), a module's tests run on one worker, in their
    order, as they do in one process: module-scoped fixtures are made once, and a test may
    build on what an earlier one in its module did. Groups set before (one shipped server's
    tests) stay as they are."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


#: Where the tests' temporary folders go when the machine has one in memory (see below).
MEMORY_FOLDER = Path("/dev/shm")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The compiled knowledge base (and any other cache) goes to a folder of this test run, not
    the user's ~/.cache; the commands the tests start inherit it. xdist's workers inherit the
    controller's folder.

    The tests' temporary folders (``tmp_path``: their SQLite files, photos, the shipped
    servers' databases) go under a folder in memory where there is one (Linux's /dev/shm), not
    the disk: every commit on SQLite waits for the disk (``synchronous=FULL``, ~25 ms here), a
    wait that tells the tests nothing, and a few thousand tests commit tens of thousands of
    times. The records, the statements and the locking are the same (PostgreSQL: below).
    pytest's own ``PYTEST_DEBUG_TEMPROOT`` or ``--basetemp`` chooses otherwise; it keeps its
    last three runs' folders there, as it does in /tmp."""
    if (
        "PYTEST_DEBUG_TEMPROOT" not in os.environ
        and config.option.basetemp is None
        and MEMORY_FOLDER.is_dir()
        and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK)
    ):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_FOLDER)
    # The same for PostgreSQL (libpq reads PGOPTIONS for every connection, the servers' the
    # tests start included): a commit does not wait for the server's disk (~5 ms here).
    # Transactions stay atomic and isolated; only a crash of the PostgreSQL server itself could
    # lose the last ones, which no test does.
    os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")
    if "MICRONEEDLING_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="microneedling-test-cache-")
        os.environ["MICRONEEDLING_CACHE_DIR"] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return shipped_knowledge_base()


def intake_data(
    *,
    on: str = ASSESSMENT_DATE,
    birth_date: str = "1990-05-17",
    fitzpatrick: int = 2,
    zones: list[str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    medications: list[dict[str, Any]] | None = None,
    procedures: list[dict[str, Any]] | None = None,
    allergies: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An intake as JSON data; by default an eligible adult asking for the cheeks."""
    return {
        "on": on,
        "patient": {"birth_date": birth_date, "sex": "female", "fitzpatrick": fitzpatrick},
        "zones": zones if zones is not None else ["cheeks"],
        "conditions": conditions or [],
        "medications": medications or [],
        "procedures": procedures or [],
        "allergies": allergies or [],
    }


def make_intake(**kwargs: Any) -> Intake:
    return parse_intake(intake_data(**kwargs))


def screened(**kwargs: Any) -> ScreeningResult:
    return screen(make_intake(**kwargs), shipped_knowledge_base())


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``microneedling ARGS`` run in this process (Typer's ``CliRunner`` on the real command
    line, ``cli/main.py``): the same arguments, output, error lines and exit code as the
    command a user types, without starting a Python for each call. For tests of what a
    command says and does; tests of the process itself (start-up, ``web``, the worker, a bad
    setting read before any command) start a real one.

    ``env``: the whole environment of the command, as for :func:`subprocess.run`. A traceback
    (an exception the command did not turn into a message) is appended to ``stderr``, where a
    real process would print it. The result is a :class:`subprocess.CompletedProcess`."""
    from typer.testing import CliRunner

    from microneedling.cli.main import app
    from microneedling.config import settings

    changes: dict[str, str | None] | None = None
    if env is not None:
        changes = {name: env.get(name) for name in {*os.environ, *env}}
    here = os.getcwd()
    umask = os.umask(0o022)  # the command sets its own; this process's is put back after
    os.umask(umask)
    settings.cache_clear()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = CliRunner().invoke(
            app, list(args), input=input, env=changes, prog_name="microneedling"
        )
    finally:
        os.chdir(here)
        os.umask(umask)
        settings.cache_clear()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(
        ["microneedling", *args], result.exit_code, result.stdout, stderr
    )
