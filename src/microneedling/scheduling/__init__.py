"""Turning a plan into bookable dates against a clinic's calendar. Pure: no I/O, no clock.

- :mod:`.clinic_calendar`: the clinic's calendar as frozen values (time zone, opening hours,
  closures, practitioners with working hours and absences, rooms, devices, appointment lengths,
  bookings) and local ↔ UTC conversion that is explicit about daylight-saving changes.
- :mod:`.slots`: :class:`~.slots.Occupancy`, the booked and unavailable time of every resource as
  sorted minute intervals, and the search for free slots on a day.
- :mod:`.series`: proposing the appointments of a treatment series and re-proposing them when one
  session is moved or cancelled.
- :mod:`.maintenance`: maintenance due dates and the list of patients due or overdue.
- :mod:`.ics`: RFC 5545 calendars (a patient's series, a practitioner's feed) as bytes.
- :mod:`.optimise`: clinic-wide assignment of many pending series (greedy baseline, CP-SAT).

Times are aware ``datetime`` values in UTC; local times are the clinic's wall clock. ``today`` and
every other date come in as arguments. See ``docs/scheduling.md``.
"""
