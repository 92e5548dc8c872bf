"""`microneedling screen`: screen one intake, or a batch of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from microneedling import demo
from microneedling.cli.common import fail, plural, print_json, user_errors
from microneedling.cli.inputs import MAX_LINE_BYTES, parse_json, read_document
from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import ScreeningResult, screen
from microneedling.errors import InputFileError, UserError
from microneedling.knowledge import KnowledgeBase, load_knowledge_base, shipped_knowledge_base

SEVERITY_STYLE = {
    "absolute": "red",
    "temporary": "dark_orange",
    "relative": "yellow",
    "precaution": "cyan",
}
DECISION_STYLE = {
    "eligible": "bold green",
    "caution": "bold yellow",
    "defer": "bold dark_orange",
    "not_eligible": "bold red",
}


def load_kb(path: Path | None) -> KnowledgeBase:
    return shipped_knowledge_base() if path is None else load_knowledge_base(path)


def demo_intake() -> dict[str, Any]:
    """The bundled demo intake (what `python3 dev.py start` screens)."""
    data: dict[str, Any] = demo.load("intake.json")
    return data


def screen_command(
    intake_file: Annotated[
        Path | None,
        typer.Argument(metavar="INTAKE", help="Intake as a JSON or YAML file.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="Screen every line of a JSONL file.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where --batch writes its JSONL results.")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Screen the bundled demo intake.")] = False,
    knowledge_base: Annotated[
        Path | None, typer.Option("--kb", help="Knowledge-base folder (default: the shipped one).")
    ] = None,
) -> None:
    """Screen an intake against the contraindications: decision, earliest date, reasons, sources.

    Exit 0 whatever the decision; exit 2 on bad input.
    """
    with user_errors():
        kb = load_kb(knowledge_base)
        if batch is not None:
            if intake_file is not None or demo:
                fail("give either INTAKE, --demo or --batch, not several")
            if out is None:
                fail("--batch needs --out RESULTS.jsonl")
            _screen_batch(batch, out, kb)
            return
        if out is not None:
            fail("--out is only used with --batch")
        if demo:
            if intake_file is not None:
                fail("give either INTAKE or --demo, not both")
            data = demo_intake()
        elif intake_file is None:
            fail("give an intake file (JSON or YAML), --demo, or --batch FILE --out FILE")
        else:
            data = read_document(intake_file)
        result = screen(parse_intake(data), kb)
    if as_json:
        print_json(result.to_dict())
    else:
        print_summary(result, kb)


def print_summary(result: ScreeningResult, kb: KnowledgeBase) -> None:
    """A readable summary for staff."""
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console()
    label = result.decision.replace("_", " ").upper()
    console.print(f"Decision: [{DECISION_STYLE[result.decision]}]{label}[/]")
    earliest = result.earliest_date.isoformat() if result.earliest_date else "—"
    if result.decision == "defer" and result.earliest_date is None:
        earliest = "unknown: screen again once the condition has resolved"
    console.print(
        f"Assessment date: {result.on.isoformat()}    Earliest treatment date: {earliest}"
    )
    console.print(
        f"Zones screened: {', '.join(result.zones)}    Fitzpatrick type: {result.fitzpatrick}",
        markup=False,
        highlight=False,
    )
    if result.findings:
        console.print("[bold]Findings[/] (most severe first):")
        for finding in result.findings:
            until = f" — until {finding.until.isoformat()}" if finding.until else ""
            style = SEVERITY_STYLE[finding.severity]
            console.print(f"  [{style}]{finding.severity:<10}[/] [bold]{finding.code}[/]{until}")
            console.print(Padding(Text(finding.message), (0, 0, 0, 6)))
            console.print(
                Padding(Text(f"Sources: {', '.join(finding.sources)}", "dim"), (0, 0, 0, 6))
            )
    else:
        console.print("No findings.")
    if result.precautions:
        console.print("[bold]Precautions for the plan:[/]")
        for precaution in result.precautions:
            sources = ", ".join(precaution.sources)
            line = Text(f"• {precaution.instruction} ")
            line.append(f"({sources})", "dim")
            console.print(Padding(line, (0, 0, 0, 2)))
    console.print(
        f"[dim]Knowledge base {result.knowledge_base_version} {result.knowledge_base_hash}[/]"
    )


def _screen_batch(source: Path, out: Path, kb: KnowledgeBase) -> None:
    """Screen each JSONL line; a bad line is reported with its number and the rest go on."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    if not source.is_file():
        raise InputFileError(f"{source}: file not found")
    if out.resolve() == source.resolve():
        raise InputFileError("--out must not be the --batch file itself")
    if not out.parent.exists():
        raise InputFileError(f"--out: folder {str(out.parent)!r} does not exist")
    total = _count_lines(source)
    err = Console(stderr=True)
    screened = failed = blank = read = 0
    progress = Progress(
        TextColumn("Screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with source.open("rb") as lines, out.open("w", encoding="utf-8") as sink, progress:
        task = progress.add_task("screen", total=total)
        for number, raw in enumerate(lines, start=1):
            progress.advance(task)
            read = number
            if not raw.strip():
                blank += 1
                continue
            try:
                if len(raw) > MAX_LINE_BYTES:
                    raise InputFileError(f"line is longer than {MAX_LINE_BYTES:,} bytes")
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InputFileError("not UTF-8 text") from None
                result = screen(parse_intake(parse_json(text, "intake")), kb)
            except UserError as error:
                failed += 1
                message = " ".join(str(error).split())
                err.print(f"line {number}: {message}", markup=False, highlight=False)
                record: dict[str, Any] = {"line": number, "error": message}
            else:
                screened += 1
                record = {"line": number, **result.to_dict()}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    summary = batch_summary(read, screened, failed, blank, out)
    err.print(summary, markup=False, highlight=False, soft_wrap=True)
    if screened == 0 and failed > 0:
        raise typer.Exit(2)


def batch_summary(read: int, screened: int, failed: int, blank: int, out: Path) -> str:
    """``Read 4 lines: 2 screened, 2 with errors; results in out.jsonl`` (every line accounted
    for: screened, refused with an error, or blank)."""
    parts = [f"{screened:,} screened", f"{failed:,} with {plural(failed, 'error')}"]
    if blank:
        parts.append(f"{blank:,} {plural(blank, 'blank line')} skipped")
    return f"Read {read:,} {plural(read, 'line')}: {', '.join(parts)}; results in {out}"


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)
