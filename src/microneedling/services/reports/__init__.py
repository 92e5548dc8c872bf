"""The clinic's reports (owners): revenue, utilisation, retention, outcomes by protocol and
safety signals. Each is one query module with ``build(session, clinic_id, period)``; run one
with :func:`run_report` (audited as ``report.read``)."""

from __future__ import annotations

from typing import Any

from microneedling.errors import UserError
from microneedling.services.access import Actor
from microneedling.services.clock import Clock, utc_now
from microneedling.services.reports import outcomes, retention, revenue, safety, utilisation
from microneedling.services.reports.common import Builder, read_report
from microneedling.store import UnitOfWork

#: Each report's name, its title for people, and its query.
REPORTS: dict[str, tuple[str, Builder]] = {
    "revenue": ("Revenue", revenue.build),
    "utilisation": ("Utilisation", utilisation.build),
    "retention": ("Retention", retention.build),
    "outcomes": ("Outcomes by protocol", outcomes.build),
    "safety": ("Safety signals", safety.build),
}


def run_report(
    uow: UnitOfWork,
    actor: Actor,
    name: object,
    *,
    first: object,
    last: object,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """One report of the actor's clinic over the days ``first`` to ``last`` (owners)."""
    if not isinstance(name, str) or name not in REPORTS:
        raise UserError(f"there is no such report (reports: {', '.join(REPORTS)})", field="report")
    return read_report(uow, actor, name, REPORTS[name][1], first, last, clock=clock)
