"""The API's routers: an ``APIRouter`` that skips a request at once when no route of it can match.

FastAPI asks every included router in turn whether a request is for one of its routes, and each
router asks each of its routes (a regular expression, and FastAPI's bookkeeping around it); the
router that says yes is asked again when the request is handled. With a dozen routers and about a
hundred routes, finding a route late in the list cost more than a whole bare request. An
:class:`ApiRouter` first checks that the path contains the fixed start of one of its routes' paths
(``/patients``, ``/screen``...: the part before the first ``{``), a few substring tests, and says
"no" without asking its routes otherwise. Nothing else changes: a path that passes the check is
matched exactly as before, so a false "maybe" costs only the usual search.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

__all__ = ["ApiRouter"]


def _fixed_start(route: BaseRoute) -> str:
    """The part of ``route``'s path before its first parameter ("" when it has no plain path)."""
    path = route.path if isinstance(route, Route) else getattr(route, "path", None)
    if not isinstance(path, str) or not hasattr(route, "endpoint"):
        return ""
    return path.split("{", 1)[0]


class ApiRouter(APIRouter):
    """An ``APIRouter`` that says "not mine" to a path without any of its routes' fixed starts."""

    _starts: re.Pattern[str] | None = None
    _starts_for: int = -1

    def _route_starts(self) -> re.Pattern[str] | None:
        """One pattern that finds any of the fixed starts (one search in C rather than a test
        per start), or None when every path must be asked about."""
        if self._starts_for != len(self.routes):
            starts = {_fixed_start(route) for route in self.routes}
            # A route without a fixed start (a mount, an included router, a path that begins with
            # a parameter) could match anything: then every path is asked about.
            self._starts = (
                None
                if "" in starts or "/" in starts
                else re.compile("|".join(re.escape(start) for start in sorted(starts)))
            )
            self._starts_for = len(self.routes)
        return self._starts

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        starts = self._route_starts()
        if starts is not None and starts.search(scope.get("path", "")) is None:
            return Match.NONE, {}
        return super().matches(scope)
