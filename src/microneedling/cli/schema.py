"""`microneedling schema ...`: JSON Schemas of the inputs, for other systems' forms."""

from __future__ import annotations

from typing import Annotated

import typer

from microneedling.cli.common import print_json
from microneedling.clinical.intake import intake_json_schema
from microneedling.knowledge import shipped_knowledge_base

schema_app = typer.Typer(help="JSON Schemas of the inputs.", no_args_is_help=True)


@schema_app.command("intake")
def intake(
    _json: Annotated[
        bool, typer.Option("--json", help="Accepted for symmetry; always JSON.")
    ] = False,
) -> None:
    """Print the intake's JSON Schema (with the knowledge base's zones and codes)."""
    print_json(intake_json_schema(shipped_knowledge_base()))
