"""`microneedling kb ...`: validate and show a knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import EXIT_USER_ERROR, counted, print_json
from microneedling.errors import KnowledgeBaseError
from microneedling.knowledge import SHIPPED_PATH, KnowledgeBase, load_knowledge_base

kb_app = typer.Typer(help="The clinical knowledge base.", no_args_is_help=True)


@kb_app.command("validate")
def validate(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Knowledge-base folder (default: the shipped one).", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Validate a knowledge-base folder: schema, references, sources. Lists every problem."""
    folder = path or SHIPPED_PATH
    try:
        kb = load_knowledge_base(folder)
    except KnowledgeBaseError as error:
        if as_json:
            print_json({"valid": False, "path": str(folder), "problems": error.problems})
        else:
            err = Console(stderr=True)
            err.print(f"{folder}: {counted(len(error.problems), 'problem')}", markup=False)
            for problem in error.problems:
                err.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USER_ERROR) from None
    summary = {
        "valid": True,
        "path": str(folder),
        "version": kb.version,
        "hash": kb.hash,
        "counts": {
            "sources": len(kb.sources),
            "zones": len(kb.zones),
            "concerns": len(kb.concerns),
            "findings": len(kb.findings),
            "rules": len(kb.rules),
        },
    }
    if as_json:
        print_json(summary)
    else:
        counts = ", ".join(f"{n} {what}" for what, n in summary["counts"].items())  # type: ignore[attr-defined]
        typer.echo(f"{folder}: valid (version {kb.version}, {kb.hash}; {counts})")


@kb_app.command("show")
def show(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Knowledge-base folder (default: the shipped one).", show_default=False
        ),
    ] = None,
    section: Annotated[
        str | None,
        typer.Option(help="Only one section: zones, concerns, findings, rules or sources."),
    ] = None,
) -> None:
    """Show the knowledge base as readable tables."""
    try:
        kb = load_knowledge_base(path or SHIPPED_PATH)
    except KnowledgeBaseError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    sections = {
        "zones": _zones,
        "concerns": _concerns,
        "findings": _findings,
        "rules": _rules,
        "sources": _sources,
    }
    if section is not None and section not in sections:
        typer.echo(f"error: --section: expected one of {', '.join(sections)}", err=True)
        raise typer.Exit(EXIT_USER_ERROR)
    console = Console()
    console.print(f"[bold]{kb.name}[/] {kb.version}  [dim]{kb.hash}[/]")
    for name, render in sections.items():
        if section is None or section == name:
            console.print(render(kb))


def _zones(kb: KnowledgeBase) -> Table:
    table = Table(title="Zones")
    for column in ("Code", "Label", "Group", "Notes"):
        table.add_column(column)
    for code, zone in kb.zones.items():
        table.add_row(code, zone.label, zone.group or "—", zone.notes or "")
    return table


def _concerns(kb: KnowledgeBase) -> Table:
    table = Table(title="Concerns")
    for column in ("Code", "Label", "Group", "Subtypes", "Notes"):
        table.add_column(column)
    for code, concern in kb.concerns.items():
        table.add_row(
            code,
            concern.label,
            concern.group or "—",
            ", ".join(concern.subtypes),
            concern.notes or "",
        )
    return table


def _findings(kb: KnowledgeBase) -> Table:
    table = Table(title="Findings")
    for column in ("Code", "Kind", "Scope", "Label"):
        table.add_column(column)
    for code, finding in kb.findings.items():
        scope: str = finding.scope
        if finding.default_zones:
            scope += f" (default {', '.join(finding.default_zones)})"
        table.add_row(code, finding.kind, scope, finding.label)
    return table


def _rules(kb: KnowledgeBase) -> Table:
    table = Table(title="Screening rules", show_lines=True)
    for column in ("Finding", "When", "Severity", "Wait", "Precaution", "Sources"):
        table.add_column(column)
    for rule in kb.rules:
        wait = "—"
        if rule.window is not None:
            amount = (
                f"{rule.window.days} days" if rule.window.days else f"{rule.window.months} months"
            )
            wait = f"{rule.window.from_} + {amount}"
        table.add_row(
            rule.finding,
            rule.when,
            rule.severity,
            wait,
            rule.precaution or "",
            ", ".join(rule.sources),
        )
    return table


def _sources(kb: KnowledgeBase) -> Table:
    table = Table(title="Sources")
    for column in ("Key", "Kind", "Title"):
        table.add_column(column)
    for key, source in kb.sources.items():
        table.add_row(key, source.kind, source.title)
    return table
