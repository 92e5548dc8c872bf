"""What every request needs: the database, the photo folder, the settings, the clock.

One :class:`ApiContext` per application, in ``app.state.context``; each request gets its own
unit of work. Tests replace ``clock`` to move time (token expiry, lockouts).

These dependencies do no I/O, so they are ``async def``: FastAPI runs a plain ``def`` dependency in
its thread pool, and each such hop costs more than the function itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from microneedling.api.lanes import ReadLane
from microneedling.config import Settings
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import MAX_ID
from microneedling.services.sign_in import SignInPolicy
from microneedling.store import Database, PhotoFiles, UnitOfWork


@dataclass
class ApiContext:
    settings: Settings
    database: Database
    photos: PhotoFiles
    policy: SignInPolicy
    clock: Clock = utc_now
    #: Where patients' records are opened (api/lanes.py).
    records_lane: ReadLane = field(default_factory=lambda: ReadLane(1))

    def now(self) -> datetime:
        return self.clock()


async def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


async def unit_of_work(context: Annotated[ApiContext, Depends(api_context)]) -> UnitOfWork:
    """A unit of work for this request (use cases open and close its transactions)."""
    return UnitOfWork(context.database, context.photos)


async def request_clock(context: Annotated[ApiContext, Depends(api_context)]) -> Clock:
    """The application's clock, read when the use case asks for the time."""
    return context.now


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
Now = Annotated[Clock, Depends(request_clock)]
Context = Annotated[ApiContext, Depends(api_context)]
#: A record's id in the path: positive, within the databases' range (else 422, never a 500).
IdInPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id")]
