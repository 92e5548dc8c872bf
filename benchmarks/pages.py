"""The staff pages as a person gets them: each page loaded in Chromium from ``microneedling web``.

The product runs exactly as the README starts it (``microneedling web`` in a subprocess on a
fresh SQLite file), at two scales:

- **demo**: ``--demo --today 2026-12-08`` (the demo clinics, 310 patients);
- **large**: ``--patients N`` (default 100,000) and ten times as many charted sessions, made by the
  generator of ``benchmarks/records.py``, served with ``--no-demo``.

Signed in as the clinician (the owner for the audit log), each page is loaded ``--runs`` times in
one Chromium tab (its static files cached, as in a day's use); the figure is the navigation's
``loadEventEnd`` (request sent → page loaded, scripts run), the median of the runs, and its ratio
against the sign-in page measured in the same run (a page with no records: the server's and the
browser's fixed cost). Also measured: signing in (the form's POST → Today loaded), a plan
preview in the plan builder (the HTMX request behind each change), and how long the process takes
to answer after it is started on a database that already exists.

Targets (issue 13): every page under 200 ms at demo scale and under 300 ms with 100,000
patients; sign-in under 300 ms; a plan preview under 150 ms; answering within 3 s of start.

``--quick`` (``--scale quick --runs 1``): 30 generated patients served with ``--no-demo``, every
page loaded once, and the start-up of that same server: a few seconds. Without Chromium
(``apt-get install chromium``) it says so, skips the pages and still measures the start-up; at
the other scales it stops.

    .venv/bin/python benchmarks/pages.py [--scale demo|large|both|quick] [--patients N] [--runs R]
                                         [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text, update

from _common import console, parse_arguments, print_table, step, tracked
from microneedling.services.passwords import hash_password
from microneedling.store import Database
from microneedling.store.migrate import upgrade
from microneedling.store.models import StaffUser

QUICK = {"scale": "quick", "runs": 1}
QUICK_PATIENTS = 30
TODAY = "2026-12-08"
PASSWORD = "microneedling-demo"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOAD_TIME = (
    "() => { const n = performance.getEntriesByType('navigation')[0]; "
    "return n.loadEventEnd - n.startTime; }"
)
COMMAND = Path(sys.executable).with_name("microneedling")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def web(folder: Path, *options: str) -> Iterator[tuple[str, float]]:
    """``microneedling web`` on ``folder``'s database: its address and seconds to first answer."""
    port = free_port()
    environment = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{folder / 'records.db'}",
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(COMMAND), "web", "--port", str(port), "--today", TODAY, *options],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with step(f"microneedling web {' '.join(options)}: starting"):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"microneedling web exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
                try:
                    if httpx.get(base + "/sign-in", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
        yield base, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def start_up(folder: Path, runs: int) -> list[float]:
    """Seconds from starting ``microneedling web`` on an existing database to its first answer."""
    found = []
    for _ in tracked(range(runs), "starts of microneedling web"):
        with web(folder, "--no-demo") as (_, seconds):
            found.append(seconds)
    return found


def python_start(runs: int) -> list[float]:
    """Baseline for start-up: Python importing the web server's libraries and nothing of ours."""
    found = []
    for _ in tracked(range(runs), "python importing the libraries"):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import fastapi, sqlalchemy, uvicorn"], check=True)
        found.append(time.perf_counter() - started)
    return found


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self, playwright: Any, base: str) -> None:
        executable = chromium()
        if executable is None:
            sys.exit("Chromium not found: apt-get install chromium")
        self.browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        self.base = base
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 800})

    def sign_in(self, email: str) -> float:
        page = self.page
        page.context.clear_cookies()
        page.goto(self.base + "/sign-in")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(self.base + "/")
        page.wait_for_load_state("load")
        return float(page.evaluate(LOAD_TIME))

    def load(self, path: str, runs: int) -> list[float]:
        found = []
        for _ in range(runs + 1):  # the first one fills the browser's and the server's caches
            response = self.page.goto(self.base + path)
            if response is None or response.status != 200:
                raise RuntimeError(f"{path}: {response.status if response else 'no answer'}")
            found.append(float(self.page.evaluate(LOAD_TIME)))
        return found[1:]

    def preview(self, patient_id: int, runs: int) -> list[float]:
        """The plan builder's preview: the HTMX request sent on each change, timed by the
        browser (Resource Timing) from sending to the swapped answer."""
        page = self.page
        page.goto(f"{self.base}/patients/{patient_id}/plans/new")
        page.wait_for_load_state("load")
        page.locator("#treat-cheeks").check()
        found = []
        concerns = ["acne_scars", "fine_lines"]
        for number in range(runs + 1):
            page.evaluate("performance.clearResourceTimings()")
            with page.expect_response(lambda r: r.url.endswith("/plans/preview")):
                page.get_by_label("Concern for cheeks").select_option(concerns[number % 2])
            page.wait_for_timeout(50)
            duration = page.evaluate(
                "() => performance.getEntriesByType('resource')"
                ".filter(e => e.name.endsWith('/plans/preview')).map(e => e.duration).pop()"
            )
            found.append(float(duration))
        return found[1:]

    def close(self) -> None:
        self.browser.close()


def pages_of(database: Database) -> tuple[dict[str, str], int]:
    """The pages to load (name → path) and a patient to plan for, read from the records."""
    with database.engine.connect() as connection:
        patient = connection.execute(
            text(
                "SELECT p.id FROM patient p JOIN intake i ON i.patient_id = p.id "
                "JOIN treatment_plan t ON t.patient_id = p.id ORDER BY p.id LIMIT 1"
            )
        ).scalar_one()
        plan = connection.execute(
            text("SELECT id FROM treatment_plan WHERE patient_id = :p ORDER BY id LIMIT 1"),
            {"p": patient},
        ).scalar_one()
        intake = connection.execute(
            text("SELECT id FROM intake WHERE patient_id = :p ORDER BY id LIMIT 1"),
            {"p": patient},
        ).scalar_one()
        appointment = connection.execute(
            text("SELECT id FROM appointment WHERE patient_id = :p ORDER BY id LIMIT 1"),
            {"p": patient},
        ).scalar()
    pages = {
        "Today": "/",
        "Calendar (day)": f"/calendar?day={TODAY}",
        "Calendar (week)": f"/calendar?day={TODAY}&view=week",
        "Patients": "/patients",
        "Patients found by name": "/patients?q=jan",
        "A patient's record": f"/patients/{patient}",
        "An intake and its screening": f"/intakes/{intake}",
        "A plan": f"/plans/{plan}",
        "The plan builder": f"/patients/{patient}/plans/new",
        "Outcomes and progress": f"/patients/{patient}/outcomes",
        "Inventory": "/inventory",
    }
    if appointment is not None:
        pages["A session"] = f"/appointments/{appointment}"
    return pages, int(patient)


def measure(
    base: str, database: Database, clinician: str, owner: str, runs: int
) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    pages, patient = pages_of(database)
    with sync_playwright() as playwright:
        browser = Browser(playwright, base)
        try:
            browser.page.context.clear_cookies()
            signed_out = browser.load("/sign-in", runs)
            baseline = statistics.median(signed_out)
            sign_ins = [browser.sign_in(clinician) for _ in range(runs)]
            results = [("Sign-in page, signed out (baseline)", signed_out)]
            results.append(("Signing in (form → Today)", sign_ins))
            for name, path in tracked(list(pages.items()), "pages loaded"):
                results.append((name, browser.load(path, runs)))
            results.append(("Plan preview (HTMX)", browser.preview(patient, runs)))
            browser.sign_in(owner)
            results.append(("Audit log (owner)", browser.load("/admin/audit", runs)))
        finally:
            browser.close()
    rows = []
    for name, values in results:
        median = statistics.median(values)
        rows.append([name, f"{median:.0f}", f"{max(values):.0f}", f"{median / baseline:.1f}"])
    return rows


def demo_scale(folder: Path, runs: int) -> list[list[str]]:
    with web(folder, "--demo") as (base, seconds):
        console.print(f"demo: first start with the demo loaded took {seconds:.1f} s")
        database = Database(f"sqlite:///{folder / 'records.db'}")
        try:
            return measure(base, database, "clinician@demo.example", "owner@demo.example", runs)
        finally:
            database.dispose()


def large_scale(
    folder: Path, patients: int, runs: int, *, browser: bool = True
) -> tuple[list[list[str]], float]:
    """The pages (none without ``browser``) on ``patients`` generated patients, and the seconds
    the server took to answer first."""
    from records import CLINICIAN, Scale, generate

    database = Database(f"sqlite:///{folder / 'records.db'}")
    try:
        with step("migrating the new database"):
            upgrade(database)
        console.print(f"large: generating {patients:,} patients, {patients * 10:,} sessions")
        generate(database, Scale(patients, patients * 10))
        with database.engine.begin() as connection:
            connection.execute(update(StaffUser).values(password_hash=hash_password(PASSWORD)))
            emails = dict(
                connection.execute(
                    text("SELECT role, email FROM staff_user WHERE id = :c OR role = 'owner'"),
                    {"c": CLINICIAN},
                ).all()
            )
        with web(folder, "--no-demo") as (base, seconds):
            if not browser:
                return [], seconds
            return measure(base, database, emails["clinician"], emails["owner"], runs), seconds
    finally:
        database.dispose()


def quick_scale(folder: Path, runs: int, columns: list[str]) -> None:
    """A few generated patients, each page once (when Chromium is there), and the start-up of
    that same server against Python importing the server's libraries."""
    browser = chromium() is not None
    if not browser:
        console.print(
            "[yellow]Chromium not found (apt-get install chromium): the pages are skipped; only "
            "the start-up of microneedling web is measured.[/]"
        )
    rows, seconds = large_scale(folder, QUICK_PATIENTS, runs, browser=browser)
    if browser:
        print_table(
            f"Pages in Chromium, {QUICK_PATIENTS} patients (median of {runs}; --quick)",
            columns,
            rows,
        )
    python = statistics.median(python_start(runs))
    print_table(
        "microneedling web answering, existing database (one start; --quick)",
        ["what", "median s", "× baseline"],
        [
            ["python -c 'import fastapi, sqlalchemy, uvicorn' (baseline)", f"{python:.2f}", "1.0"],
            ["microneedling web → first answer", f"{seconds:.2f}", f"{seconds / python:.1f}"],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["demo", "large", "both", "quick"], default="both")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parse_arguments(parser, QUICK)
    columns = ["page", "median ms", "max ms", "× sign-in page"]
    with tempfile.TemporaryDirectory(prefix="mn-pages-") as name:
        folder = Path(name)
        if args.scale == "quick":
            quick_scale(folder, args.runs, columns)
            return
        if args.scale in ("demo", "both"):
            (folder / "demo").mkdir()
            rows = demo_scale(folder / "demo", args.runs)
            print_table(f"Pages in Chromium, demo clinic (median of {args.runs})", columns, rows)
            starts = start_up(folder / "demo", 5)
            python = python_start(5)
            print_table(
                "microneedling web answering, existing database (median of 5)",
                ["what", "median s", "max s", "× baseline"],
                [
                    ["python -c 'import fastapi, sqlalchemy, uvicorn' (baseline)",
                     f"{statistics.median(python):.2f}", f"{max(python):.2f}", "1.0"],
                    ["microneedling web → first answer", f"{statistics.median(starts):.2f}",
                     f"{max(starts):.2f}",
                     f"{statistics.median(starts) / statistics.median(python):.1f}"],
                ],
            )  # fmt: skip
        if args.scale in ("large", "both"):
            (folder / "large").mkdir()
            rows, _ = large_scale(folder / "large", args.patients, args.runs)
            print_table(
                f"Pages in Chromium, {args.patients:,} patients (median of {args.runs})",
                columns,
                rows,
            )


if __name__ == "__main__":
    main()
