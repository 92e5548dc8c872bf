"""`microneedling simulate ...`: the science models from the command line.

Each model's commands live in their own module and register on :data:`simulate_app`.
"""

from __future__ import annotations

import typer

simulate_app = typer.Typer(
    help="Simulate what a device does to the skin: geometry, resealing and uptake, healing.",
    no_args_is_help=True,
)

# Command modules register themselves on simulate_app when imported.
from microneedling.cli import (  # noqa: E402
    simulate_geometry,  # noqa: F401
    simulate_healing,  # noqa: F401
    simulate_transport,  # noqa: F401
)
