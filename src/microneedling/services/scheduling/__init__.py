"""Scheduling use cases: a plan's series proposed and booked against the clinic calendar, sessions
moved or cancelled with the later ones re-proposed, maintenance due, ``.ics`` calendars, and the
clinic-wide optimisation of pending series. See ``docs/scheduling.md``.

The search itself is the pure :mod:`microneedling.scheduling` package; these modules load the
calendar and the appointments holding time from the records, run it inside the use case's
transaction, and write the result: ``appointment`` rows (the records' own table), the
``appointment_booking`` beside each, and the ``resource_slot`` reservations whose primary key
refuses a practitioner, room or device booked twice, also when two bookings race (the loser gets
:class:`~microneedling.errors.Conflict` and nothing of its transaction is kept).

Times given by people may carry their offset (``2027-01-05T09:00+01:00``) or not, in which case
they are the clinic's wall clock. Appointments start on whole 5-minute steps.

The modules, each importing only those above it:

- ``plan_series``: a plan's series as the search takes them; the patient's preferences
- ``context``: what a use case loads (calendar, time held, occupancy); times people give
- ``proposals``: :func:`propose_plan`
- ``picks``: slots staff picked (:class:`PickedSlot`, :func:`picked_slots`) and their checks
- ``booking``: :func:`book_plan`; writing series, appointments and reservations
- ``one_off``: :func:`book_one_off` and its refusals in the clinic's words
- ``series_state``: a booked series as it stands, and writing a changed one back
- ``rescheduling``: :func:`move_session`, :func:`cancel_session`, :func:`stop_series`
- ``feeds``: :func:`patient_calendar`, :func:`practitioner_feed` (``.ics``), :func:`list_series`
- ``maintenance``: :func:`maintenance_due_list`
- ``optimiser``: :func:`optimise_calendar`
- ``optimiser_accept``: :func:`accept_optimised`

Callers use this package (``from microneedling.services import scheduling``;
``scheduling.book_plan(...)``): it re-exports every use case and the inputs they take.
"""

from __future__ import annotations

from microneedling.services.scheduling.booking import SLOT_TAKEN as SLOT_TAKEN
from microneedling.services.scheduling.booking import book_plan
from microneedling.services.scheduling.context import _Context as _Context
from microneedling.services.scheduling.feeds import FEED_PAST_DAYS as FEED_PAST_DAYS
from microneedling.services.scheduling.feeds import (
    list_series,
    patient_calendar,
    practitioner_feed,
)
from microneedling.services.scheduling.maintenance import maintenance_due_list
from microneedling.services.scheduling.one_off import book_one_off as book_one_off
from microneedling.services.scheduling.optimiser import optimise_calendar
from microneedling.services.scheduling.optimiser_accept import accept_optimised
from microneedling.services.scheduling.picks import PickedSlot as PickedSlot
from microneedling.services.scheduling.picks import picked_slots as picked_slots
from microneedling.services.scheduling.plan_series import Preferences as Preferences
from microneedling.services.scheduling.proposals import propose_plan
from microneedling.services.scheduling.rescheduling import (
    cancel_session,
    move_session,
    stop_series,
)

__all__ = [
    "accept_optimised",
    "book_one_off",
    "book_plan",
    "cancel_session",
    "list_series",
    "maintenance_due_list",
    "move_session",
    "optimise_calendar",
    "patient_calendar",
    "practitioner_feed",
    "propose_plan",
    "stop_series",
]
