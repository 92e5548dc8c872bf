"""FHIR Bulk Data export (``$export``): a clinic's records as NDJSON files, one per resource
type, written a batch at a time (keyset pages of :data:`BATCH` rows, the session emptied after
each), so memory stays bounded whatever the clinic's size.

Used by the FHIR server's asynchronous ``$export`` (a job in a thread, its state in a
``status.json`` next to its files, so any server process can answer its status) and by
``microneedling fhir export`` (synchronously, into a folder). Each type is read as one use case
(the role matrix, the clinic, one audit entry with the count); starting an export is its own
audited action, ``fhir.export`` (owners only).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from microneedling.api.fhir import queries
from microneedling.api.fhir.resources import instant
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock
from microneedling.store import UnitOfWork

#: Rows read (and resources written) per page of an export.
BATCH = 500
#: A ``Patient/$export``: the types in a patient's compartment.
PATIENT_TYPES = (
    "Patient",
    "Appointment",
    "Procedure",
    "Consent",
    "Observation",
    "CarePlan",
    "RiskAssessment",
    "QuestionnaireResponse",
    "AdverseEvent",
    "Media",
)
#: What a clinic-level export writes by default, in this order (the audit log only when asked:
#: ``_type=AuditEvent``).
CLINIC_TYPES = ("Organization", "Practitioner", "PractitionerRole", "Location", "Device",
                *PATIENT_TYPES)  # fmt: skip
EXPORTABLE = (*CLINIC_TYPES, "AuditEvent")
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
NDJSON = "application/fhir+ndjson"
_JOB = re.compile(r"[A-Za-z0-9_-]{22}")

Progress = Callable[[str, int], None]


class ExportError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def export_types(asked: str | None, allowed: Sequence[str]) -> list[str]:
    """The types of ``_type`` (comma-separated), each one we export; all of ``allowed`` (the
    audit log aside) when not given."""
    if asked is None:
        return [name for name in allowed if name != "AuditEvent"]
    names = [name.strip() for name in asked.split(",") if name.strip()]
    if not names:
        raise ExportError("_type: name at least one resource type")
    for name in names:
        if name not in allowed:
            raise ExportError(
                f"_type: {name[:40]!r} is not exported here (known: {', '.join(allowed)})"
            )
    return list(dict.fromkeys(names))


def counts(uow: UnitOfWork, actor: Actor, types: Sequence[str], clock: Clock) -> dict[str, int]:
    """How many resources of each type an export will write (for a progress bar)."""
    found: dict[str, int] = {}
    with Transaction(uow, actor, "fhir.export", clock, reading=True) as tx:
        session = tx._work.session
        zone = tx.records.clinic().time_zone
        for name in types:
            kind = queries.KINDS[name]
            conditions = [kind.mine(actor), *(c(zone) for c in kind.always)]
            found[name] = session.execute(
                select(func.count()).select_from(kind.model).where(*conditions)
            ).scalar_one()
        tx.done(details={"types": list(types), "job": "local"})
    return found


def _lines(tx: Transaction, kind: queries.Kind, batch: int) -> Iterator[list[bytes]]:
    """The clinic's resources of ``kind`` as NDJSON lines, a page of rows at a time (by id,
    so each page is one indexed query however far the export has gone)."""
    session = tx._work.session
    clinic = tx.records.clinic()
    zone = clinic.time_zone
    always = [condition(zone) for condition in kind.always]
    column = kind.row_id()
    last = 0
    while True:
        rows = list(
            session.execute(
                select(kind.model)
                .where(kind.mine(tx.actor), column > last, *always)
                .order_by(column)
                .limit(batch)
            ).scalars()
        )
        if not rows:
            return
        last = getattr(rows[-1], kind.id_column)
        yield [
            json.dumps(kind.resource(tx, row, clinic), separators=(",", ":")).encode() + b"\n"
            for row in rows
        ]
        # Bounded memory: nothing read so far stays in the session.
        session.expunge_all()


def write_type(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    out: IO[bytes],
    clock: Clock,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    job: str | None = None,
) -> int:
    """Write the clinic's resources of type ``name`` to ``out`` (NDJSON); their count. Read as
    the type's search (its role, the clinic), one audit entry with the count."""
    kind = queries.KINDS[name]
    written = 0
    with Transaction(uow, actor, kind.search_action or kind.action, clock, reading=True) as tx:
        for lines in _lines(tx, kind, batch):
            out.writelines(lines)
            written += len(lines)
            if progress is not None:
                progress(name, written)
        tx.done(details={"fhir": name, "results": written, "export": job or "local"})
    return written


@dataclass(frozen=True)
class Output:
    type: str
    path: Path
    count: int


def export_to(
    uow: UnitOfWork,
    actor: Actor,
    folder: Path,
    types: Sequence[str],
    clock: Clock,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    job: str | None = None,
) -> list[Output]:
    """Write one ``<Type>.ndjson`` per type into ``folder`` (only the types that have any)."""
    outputs: list[Output] = []
    for name in types:
        if cancelled():
            break
        path = folder / f"{name}.ndjson"
        with path.open("wb", buffering=1 << 16) as out:
            count = write_type(uow, actor, name, out, clock, progress=progress, job=job)
        if count:
            outputs.append(Output(name, path, count))
        else:
            path.unlink()
    return outputs


# The server's asynchronous export: a job folder per export ------------------------------------


def jobs_root() -> Path:
    """Where the server keeps export jobs: one private folder for this user, shared by the
    server's processes (a status poll may reach another process than the kick-off)."""
    root = Path(tempfile.gettempdir()) / f"microneedling-fhir-exports-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    root.chmod(0o700)
    return root


def job_folder(job: str, clinic_id: int) -> Path | None:
    """The job's folder, when ``job`` is one of this clinic's (None otherwise)."""
    if not _JOB.fullmatch(job):
        return None
    folder = jobs_root() / str(clinic_id) / job
    return folder if (folder / "status.json").is_file() else None


def read_status(folder: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((folder / "status.json").read_text())
    return state


def _write_status(folder: Path, state: dict[str, Any]) -> None:
    temporary = folder / "status.json.tmp"
    temporary.write_text(json.dumps(state))
    temporary.replace(folder / "status.json")


def start_job(
    work: Callable[[], UnitOfWork],
    actor: Actor,
    types: Sequence[str],
    clock: Clock,
    *,
    request_url: str,
) -> str:
    """Kick off an export in a thread (audited as ``fhir.export``); the job's id. ``work``
    makes a unit of work (the thread has its own)."""
    job = secrets.token_urlsafe(16)
    with Transaction(work(), actor, "fhir.export", clock) as tx:
        tx.done(details={"types": list(types), "job": job})
    folder = jobs_root() / str(actor.clinic_id) / job
    folder.mkdir(parents=True, mode=0o700)
    state: dict[str, Any] = {
        "status": "running",
        "staff_user_id": actor.staff_user_id,
        "transactionTime": instant(clock()),
        "request": request_url,
        "types": list(types),
        "current": None,
    }
    _write_status(folder, state)

    def progress(name: str, written: int) -> None:
        state["current"] = [name, written]
        _write_status(folder, state)

    def cancelled() -> bool:
        return not (folder / "status.json").exists()

    def run() -> None:
        try:
            outputs = export_to(
                work(), actor, folder, types, clock, progress=progress, cancelled=cancelled, job=job
            )
        except Exception as error:  # reported to the client, logged without its message
            import logging

            logging.getLogger("microneedling.api").error(
                "FHIR export %s failed: %s", job, type(error).__name__
            )
            state.update(status="failed", current=None)
            if not cancelled():
                _write_status(folder, state)
            return
        if cancelled():
            shutil.rmtree(folder, ignore_errors=True)
            return
        state.update(
            status="done",
            current=None,
            output=[{"type": o.type, "file": o.path.name, "count": o.count} for o in outputs],
        )
        _write_status(folder, state)

    threading.Thread(target=run, name=f"fhir-export-{job}", daemon=True).start()
    return job


def cancel_job(folder: Path) -> None:
    """Stop a running export (its thread stops before the next type) and delete its files."""
    shutil.rmtree(folder, ignore_errors=True)


def manifest(state: dict[str, Any], files_url: str) -> dict[str, Any]:
    """The Bulk Data completion manifest of a finished job."""
    return {
        "transactionTime": state["transactionTime"],
        "request": state["request"],
        "requiresAccessToken": True,
        "output": [
            {"type": item["type"], "url": f"{files_url}/{item['file']}", "count": item["count"]}
            for item in state.get("output", [])
        ],
        "error": [],
    }


def progress_text(state: dict[str, Any]) -> str:
    """``Procedure: 12,000 written (type 8 of 15)``, for the status's ``X-Progress``."""
    current = state.get("current")
    if not current:
        return f"starting (0 of {len(state['types'])} types done)"
    number = state["types"].index(current[0]) + 1
    return f"{current[0]}: {current[1]:,} written (type {number} of {len(state['types'])})"
