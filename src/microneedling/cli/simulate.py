"""`microneedling simulate ...`: the science models from the command line.

Each model's commands live in their own module (``simulate_geometry``, ``simulate_healing``,
``simulate_transport``) as plain functions; they are registered here by name and imported only when
run, so this module depends on them by name only and they never import it.
"""

from __future__ import annotations

import typer

from microneedling.cli.lazy import Lazy, lazy_group

_GEOMETRY = "microneedling.cli.simulate_geometry"
_HEALING = "microneedling.cli.simulate_healing"
_TRANSPORT = "microneedling.cli.simulate_transport"

#: The simulate subcommands, in the order --help lists them.
SIMULATE_COMMANDS = {
    "geometry": Lazy(
        _GEOMETRY,
        "geometry_command",
        "Puncture density, injured area, spacing, depth and layer reached for a roller or pen.",
    ),
    "inflammation": Lazy(
        _HEALING,
        "inflammation_command",
        "Inflammatory response to one session: neutrophils, macrophages, pathogen, debris.",
    ),
    "response": Lazy(
        _HEALING,
        "response_command",
        "Collagen trajectory a treatment plan projects (day 0 = first session).",
    ),
    "compare": Lazy(
        _HEALING,
        "compare_command",
        "Several plans' collagen trajectories side by side: peak, 6 and 12 months.",
    ),
    "resealing": Lazy(
        _TRANSPORT,
        "resealing_command",
        "How fast microchannels reseal, and the absorption window for topicals.",
    ),
    "uptake": Lazy(
        _TRANSPORT,
        "uptake_command",
        "Cumulative uptake of a topical through microneedled vs intact skin.",
    ),
}

simulate_app = typer.Typer(
    cls=lazy_group(SIMULATE_COMMANDS),
    help="Simulate what a device does to the skin: geometry, resealing and uptake, healing.",
    no_args_is_help=True,
)
