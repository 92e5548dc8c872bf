"""`microneedling simulate` commands for the transport model."""

from __future__ import annotations

from microneedling.cli.simulate import simulate_app  # noqa: F401
