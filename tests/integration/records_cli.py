"""The records commands on a Typer app of their own (the lead registers them in cli/main.py)."""

from __future__ import annotations

import typer

from microneedling.cli.audit import audit_app
from microneedling.cli.db import db_app
from microneedling.cli.demo import demo_command
from microneedling.cli.records import patient_app, recall_command

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(patient_app, name="patient")
app.command("demo")(demo_command)
app.command("recall")(recall_command)

if __name__ == "__main__":
    app()
