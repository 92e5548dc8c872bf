"""Shared fixtures: the shipped knowledge base and an intake builder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
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


def pytest_configure(config: pytest.Config) -> None:
    """The compiled knowledge base (and any other cache) goes to a folder of this test run, not
    the user's ~/.cache; the commands the tests start inherit it. xdist's workers inherit the
    controller's folder."""
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
