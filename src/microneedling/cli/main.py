"""The `microneedling` command line.

Every subcommand is registered by name (:data:`COMMANDS`) and imported only when it runs: a
screening does not load SciPy, OR-Tools, SQLAlchemy or Matplotlib, and ``--help`` loads none of
the commands. The one-line help of each is written here; a test keeps it equal to the command's own.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from microneedling.cli.lazy import Lazy, lazy_group

_CLI = "microneedling.cli"

#: Every subcommand, in the order --help lists them.
COMMANDS = {
    "screen": Lazy(
        f"{_CLI}.screen",
        "screen_command",
        "Screen an intake against the contraindications: decision, earliest date, reasons, "
        "sources.",
    ),
    "plan": Lazy(
        f"{_CLI}.plan",
        "plan_command",
        "Plan a treatment series: depths per zone, sessions, dates, care, expected timeline, "
        "quote.",
    ),
    "score": Lazy(
        f"{_CLI}.score",
        "score_command",
        "Score an outcome scale: total, range, interpretation, warnings, sources.",
    ),
    "product-check": Lazy(
        f"{_CLI}.product_check",
        "product_check_command",
        "Check a topical product against the aftercare windows: allowed or blocked, and why.",
    ),
    "demo": Lazy(
        f"{_CLI}.demo",
        "demo_command",
        "Create the demo clinic (and a second clinic) in the configured database.",
    ),
    "recall": Lazy(
        f"{_CLI}.records",
        "recall_command",
        "Recall a cartridge lot: it can no longer be charted, and every patient who received it "
        "(in the current version of their charts) is listed with their contact details.",
    ),
    "serve": Lazy(
        f"{_CLI}.serve",
        "serve_command",
        "Start the HTTP API on the configured database (docs at /docs, OpenAPI at /openapi.json).",
    ),
    "web": Lazy(
        f"{_CLI}.web",
        "web_command",
        "Start the web application for clinic staff on the configured database.",
    ),
    "worker": Lazy(
        f"{_CLI}.worker",
        "worker_command",
        "Send the patients' messages that are due: e-mail and SMS, with retries.",
    ),
    "check": Lazy(
        f"{_CLI}.check",
        "check_command",
        "Say what is unsafe in the current settings, and what to do; exit 1 if anything is.",
    ),
    "clinic": Lazy(f"{_CLI}.clinic", "clinic_app", "Clinics: create one with its owner."),
    "staff": Lazy(
        f"{_CLI}.staff",
        "staff_app",
        "Staff accounts: add, list, change a role, close (as an owner).",
    ),
    "kb": Lazy(f"{_CLI}.kb", "kb_app", "The clinical knowledge base."),
    "db": Lazy(f"{_CLI}.db", "db_app", "The records database: migrate, back up, restore."),
    "audit": Lazy(f"{_CLI}.audit", "audit_app", "The audit log: verify it, read it."),
    "billing": Lazy(f"{_CLI}.billing", "billing_app", "Packages, invoices, payments, gift cards."),
    "messages": Lazy(
        f"{_CLI}.messages", "messages_app", "Messages to patients: quiet hours, timings, wording."
    ),
    "reports": Lazy(
        f"{_CLI}.reports",
        "reports_app",
        "The clinic's reports: revenue, utilisation, retention, outcomes, safety.",
    ),
    "patient": Lazy(f"{_CLI}.records", "patient_app", "Patients' records."),
    "fhir": Lazy(f"{_CLI}.fhir", "fhir_app", "The clinic's records in HL7 FHIR R4."),
    "calendar": Lazy(
        f"{_CLI}.calendar",
        "calendar_app",
        "The clinic calendar: book a plan's series, move or cancel sessions, export .ics.",
    ),
    "schema": Lazy(f"{_CLI}.schema", "schema_app", "JSON Schemas of the inputs."),
    "simulate": Lazy(
        f"{_CLI}.simulate",
        "simulate_app",
        "Simulate what a device does to the skin: geometry, resealing and uptake, healing.",
    ),
}


class CommandLine(typer.Typer):
    """The command line: a setting that cannot be read (``MICRONEEDLING_*``) is one line on
    stderr and exit 2, whichever command read it, never a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            from microneedling.cli.common import EXIT_USER_ERROR, settings_problem

            problem = settings_problem(error)
            if problem is None:
                raise
            typer.echo(f"error: the settings cannot be read: {problem}", err=True)
            raise SystemExit(EXIT_USER_ERROR) from None


app = CommandLine(
    cls=lazy_group(COMMANDS),
    help="Clinic software for microneedling: screening, planning, records and the science.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def package_version() -> str:
    """The installed package's version (as in pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("microneedling")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree not installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"microneedling {package_version()}")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Clinic software for microneedling: screening, planning, records and the science."""
    _private_files()


def _private_files() -> None:
    """Files the commands write (databases, backups, photos, handouts, .ics) are readable by the
    user running them only: they hold patients' data."""
    import os

    os.umask(os.umask(0o077) | 0o077)
