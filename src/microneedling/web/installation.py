"""What kind of installation the pages are served from: none set up yet (the first-run setup is
open), or one holding the demo clinics (every page says so in a banner).

Asked on every full page (one small query on the clinic table's unique index). A demo
installation stays one (the demo clinics are never removed), so that answer is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microneedling.services import clinics

if TYPE_CHECKING:
    from microneedling.web.context import WebApp

_KEY = "installation"


def installation_of(app: WebApp) -> dict[str, bool]:
    """``clinics``: the database holds a clinic; ``demo``: it holds the demo clinics."""
    known: dict[str, bool] | None = app.cache.get(_KEY)
    if known is not None and known["demo"]:
        return known
    state = clinics.installation(app.uow())
    app.cache[_KEY] = state
    return state


def forget(app: WebApp) -> None:
    """After the first-run setup made a clinic."""
    app.cache.pop(_KEY, None)
