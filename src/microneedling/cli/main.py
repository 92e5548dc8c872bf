"""The `microneedling` command line."""

from __future__ import annotations

import typer

from microneedling.cli.simulate import simulate_app

app = typer.Typer(
    help="Clinic software for microneedling: screening, planning, records and the science.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(simulate_app, name="simulate")
