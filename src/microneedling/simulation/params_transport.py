"""Parameter records for the transport model (see :mod:`microneedling.simulation.params`)."""

from __future__ import annotations

from microneedling.simulation.params import Param

PARAMS: tuple[Param, ...] = ()
