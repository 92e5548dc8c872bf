"""The `microneedling` command line."""

from __future__ import annotations

import typer

from microneedling.cli.audit import audit_app
from microneedling.cli.calendar import calendar_app
from microneedling.cli.db import db_app
from microneedling.cli.demo import demo_command
from microneedling.cli.kb import kb_app
from microneedling.cli.plan import plan_command
from microneedling.cli.product_check import product_check_command
from microneedling.cli.records import patient_app, recall_command
from microneedling.cli.schema import schema_app
from microneedling.cli.score import score_command
from microneedling.cli.screen import screen_command
from microneedling.cli.serve import serve_command
from microneedling.cli.simulate import simulate_app
from microneedling.cli.web import web_command

app = typer.Typer(
    help="Clinic software for microneedling: screening, planning, records and the science.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("screen")(screen_command)
app.command("plan")(plan_command)
app.command("score")(score_command)
app.command("product-check")(product_check_command)
app.command("demo")(demo_command)
app.command("recall")(recall_command)
app.command("serve")(serve_command)
app.command("web")(web_command)
app.add_typer(kb_app, name="kb")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(patient_app, name="patient")
app.add_typer(calendar_app, name="calendar")
app.add_typer(schema_app, name="schema")
app.add_typer(simulate_app, name="simulate")
