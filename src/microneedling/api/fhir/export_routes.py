"""The Bulk Data routes: ``GET $export`` and ``GET Patient/$export`` (the kick-off, with
``Prefer: respond-async``: 202 and a ``Content-Location`` to poll), ``GET $export-status/{job}``
(202 with ``X-Progress`` while it runs, then 200 and the manifest), ``DELETE`` of the status
(cancel, delete the files) and ``GET $export-file/{job}/{Type}.ndjson`` (the file, streamed).
Owners only; another clinic's job is not found; each file downloaded is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from microneedling.api.context import Context
from microneedling.api.fhir import bulk
from microneedling.api.security import CurrentActor
from microneedling.errors import PermissionDenied
from microneedling.services.access import PERMISSIONS, Actor, Transaction
from microneedling.store import UnitOfWork

#: Query parameters a kick-off takes.
KICK_OFF_PARAMETERS = frozenset({"_type", "_outputFormat"})
CHUNK = 1 << 16


def install(
    app: FastAPI,
    version_path: str,
    error: Callable[[int, str], Exception],
    base_url: Callable[[Request], str],
) -> None:
    """Add the export routes to the FHIR application (before its generic routes)."""

    def kick_off(
        request: Request, actor: Actor, context: Context, allowed: tuple[str, ...]
    ) -> Response:
        prefer = request.headers.get("prefer", "").replace(" ", "").lower()
        if "respond-async" not in prefer.split(","):
            raise error(400, "an export runs in the background: send Prefer: respond-async")
        params = request.query_params
        for name in params:
            if name == "_since":
                raise error(
                    400,
                    "_since is not supported: not every record keeps when it last changed, so "
                    "an export is always of everything (see docs/fhir.md)",
                )
            if name not in KICK_OFF_PARAMETERS:
                raise error(400, f"{name[:40]!r} is not a parameter of $export here")
        output = params.get("_outputFormat")
        if output is not None and output not in bulk.OUTPUT_FORMATS:
            raise error(400, "_outputFormat: this server writes application/fhir+ndjson only")
        try:
            types = bulk.export_types(params.get("_type"), allowed)
        except bulk.ExportError as problem:
            raise error(400, problem.message) from None
        job = bulk.start_job(
            lambda: UnitOfWork(context.database, context.photos),
            actor,
            types,
            context.now,
            request_url=str(request.url),
        )
        location = f"{base_url(request)}/$export-status/{job}"
        return Response(status_code=202, headers={"Content-Location": location})

    @app.get(version_path + "/$export")
    def export_clinic(request: Request, actor: CurrentActor, context: Context) -> Response:
        """The clinic's records, every type (the audit log with ``_type=AuditEvent``)."""
        return kick_off(request, actor, context, bulk.EXPORTABLE)

    @app.get(version_path + "/Patient/$export")
    def export_patients(request: Request, actor: CurrentActor, context: Context) -> Response:
        """The clinic's patients and the records of theirs (their compartments)."""
        return kick_off(request, actor, context, bulk.PATIENT_TYPES)

    def owners_job(job: str, actor: Actor) -> Path:
        if actor.role not in PERMISSIONS["fhir.export"]:
            raise PermissionDenied("only owners export the clinic's records")
        folder = bulk.job_folder(job, actor.clinic_id)
        if folder is None:
            raise error(404, "no such export (it may have been deleted)")
        return folder

    @app.get(version_path + "/$export-status/{job}")
    def export_status(job: str, request: Request, actor: CurrentActor) -> Response:
        folder = owners_job(job, actor)
        state = bulk.read_status(folder)
        if state["status"] == "running":
            return Response(
                status_code=202,
                headers={"X-Progress": bulk.progress_text(state), "Retry-After": "2"},
            )
        if state["status"] == "failed":
            raise error(500, "the export failed; it has been logged: start it again")
        files = f"{base_url(request)}/$export-file/{job}"
        return JSONResponse(bulk.manifest(state, files))

    @app.delete(version_path + "/$export-status/{job}")
    def cancel_export(job: str, actor: CurrentActor) -> Response:
        bulk.cancel_job(owners_job(job, actor))
        return Response(status_code=202)

    @app.get(version_path + "/$export-file/{job}/{name}")
    def export_file(job: str, name: str, actor: CurrentActor, context: Context) -> Response:
        folder = owners_job(job, actor)
        kind = name.removesuffix(".ndjson")
        state = bulk.read_status(folder)
        files = {item["file"]: item for item in state.get("output", [])}
        if state["status"] != "done" or name not in files:
            raise error(404, f"no file {name[:60]!r} in this export")
        uow = UnitOfWork(context.database, context.photos)
        with Transaction(uow, actor, "fhir.export", context.now) as tx:
            tx.done(details={"types": [kind], "job": job, "step": "file"})
        path = folder / name

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    yield chunk

        return StreamingResponse(
            chunks(),
            media_type=bulk.NDJSON,
            headers={"Content-Length": str(path.stat().st_size)},
        )
