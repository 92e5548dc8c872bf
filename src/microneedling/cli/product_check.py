"""`microneedling product-check`: may this product go on the skin this many hours after a session?"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from microneedling.cli.common import counted, fail, print_json, user_errors
from microneedling.cli.screen import load_kb
from microneedling.clinical.products import (
    MAX_LABEL_CHARS,
    ProductCheck,
    check_hours,
    check_product,
    hours_text,
)
from microneedling.errors import InputFileError, UserError
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_products import IngredientsFile

#: A label file may hold at most this many bytes (MAX_LABEL_CHARS of up to 4 bytes, and a BOM).
MAX_LABEL_FILE_BYTES = 4 * MAX_LABEL_CHARS + 3

VERDICT_STYLE = {"allowed": "bold green", "blocked": "bold red"}


def product_check_command(
    ingredients: Annotated[
        str | None,
        typer.Argument(
            metavar="INGREDIENTS",
            help='The ingredient list as printed on the label, in quotes: "Aqua, Glycerin, ...".',
            show_default=False,
        ),
    ] = None,
    hours: Annotated[
        str | None,
        typer.Option(
            "--hours",
            metavar="HOURS",
            help="Hours since the session, e.g. 30 or 30.5.",
            show_default=False,
        ),
    ] = None,
    sterile_post_procedure: Annotated[
        bool,
        typer.Option(
            "--sterile-post-procedure",
            help="The product is sterile and labelled for post-procedure use (a label list "
            "cannot show this).",
        ),
    ] = False,
    make_up: Annotated[
        bool, typer.Option("--make-up", help="The product is make-up (foundation, concealer...).")
    ] = False,
    label_file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="LABEL.txt",
            help="Read the ingredient list from a UTF-8 text file ('-' reads standard input).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    knowledge_base: Annotated[
        Path | None, typer.Option("--kb", help="Knowledge-base folder (default: the shipped one).")
    ] = None,
) -> None:
    """Check a topical product against the aftercare windows: allowed or blocked, and why.

    Exit 0 whatever the verdict; exit 2 on bad input.
    """
    with user_errors():
        hours_since_session = parse_hours(hours)
        if label_file is not None:
            if ingredients is not None:
                fail("give the ingredient list either as INGREDIENTS or with --file, not both")
            text = read_label(label_file)
        elif ingredients is None:
            fail('give the ingredient list in quotes ("Aqua, Glycerin, ...") or --file LABEL.txt')
        else:
            text = ingredients
        kb = load_kb(knowledge_base)
        result = check_product(
            text,
            hours_since_session,
            kb,
            sterile_post_procedure=sterile_post_procedure,
            make_up=make_up,
        )
    if as_json:
        print_json(result.to_dict())
    else:
        print_summary(result, kb)


def parse_hours(value: str | None) -> float:
    """``--hours`` as a number: "30", "30.5", "30,5" and "30 h" are accepted."""
    if value is None:
        fail("--hours is required: the hours since the session, e.g. --hours 30")
    cleaned = value.strip().removesuffix("h").strip().replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        fail(f"--hours: expected a number of hours such as 30 or 30.5, got {value!r}")
    whole: float = int(number) if math.isfinite(number) and number.is_integer() else number
    try:
        return check_hours(whole)
    except UserError as error:
        fail(f"--hours: {error.message}")


def read_label(path: Path) -> str:
    """The text of a label file (or standard input for ``-``), refusing what is clearly not one."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read(MAX_LABEL_FILE_BYTES + 1)
        name = "standard input"
    else:
        if not path.exists():
            raise InputFileError(f"{name}: file not found")
        if not path.is_file():
            raise InputFileError(f"{name}: not a file")
        size = path.stat().st_size
        if size > MAX_LABEL_FILE_BYTES:
            raise InputFileError(
                f"{name}: file is {size:,} bytes; an ingredient list is at most "
                f"{MAX_LABEL_FILE_BYTES:,} bytes"
            )
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None
    if len(data) > MAX_LABEL_FILE_BYTES:
        raise InputFileError(
            f"{name}: more than {MAX_LABEL_FILE_BYTES:,} bytes; give one product's list"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{name}: not UTF-8 text") from None
    if not text.strip():
        raise InputFileError(f"{name}: file is empty")
    return text


def print_summary(result: ProductCheck, kb: KnowledgeBase) -> None:
    """A readable summary for staff (label text is printed literally, never as markup)."""
    console = Console()
    classes = kb.section("ingredients.yaml", IngredientsFile).classes
    line = Text("Product: ")
    line.append(result.verdict.upper(), VERDICT_STYLE[result.verdict])
    line.append(f"    {hours_text(result.hours_since_session)} after the session")
    console.print(line)
    console.print(Text(f"Window: {result.phase.label}"))
    flags = [
        name
        for name, on in (
            ("sterile post-procedure", result.sterile_post_procedure),
            ("make-up", result.make_up),
        )
        if on
    ]
    if flags:
        console.print(Text(f"Marked as: {', '.join(flags)}"))
    if result.classes_found:
        console.print(Text("Restricted classes found:", "bold"))
        for found in result.classes_found:
            row = Text(f"  {classes[found.code].label}: ", "bold")
            names = [*found.ingredients, *(["(flagged as make-up)"] if found.flagged else [])]
            row.append(", ".join(names), "")
            console.print(row)
    else:
        console.print("No restricted ingredient classes found.")
    if result.unknown_ingredients:
        console.print(Text("Not recognised (cannot be confirmed):", "bold"))
        console.print(Padding(Text(", ".join(result.unknown_ingredients)), (0, 0, 0, 2)))
    if result.reasons:
        console.print(Text("Why it is blocked:", "bold"))
        for reason in result.reasons:
            _print_reason(console, "•", reason.message, reason.sources)
    if result.warnings:
        console.print(Text("Warnings:", "bold"))
        for warning in result.warnings:
            _print_reason(console, "!", warning.message, warning.sources)
    if result.allowed_from_hours is not None:
        console.print(
            Text(f"Allowed from: {hours_text(result.allowed_from_hours)} after the session")
        )
    read = Text(f"Read {counted(len(result.ingredients), 'ingredient')}: ", "dim")
    read.append(", ".join(result.ingredients), "dim")
    console.print(read)
    console.print(
        Text(f"Knowledge base {result.knowledge_base_version} {result.knowledge_base_hash}", "dim"),
        soft_wrap=True,
    )


def _print_reason(console: Console, bullet: str, message: str, sources: tuple[str, ...]) -> None:
    console.print(Padding(Text(f"{bullet} {message}"), (0, 0, 0, 2)))
    console.print(Padding(Text(f"Sources: {', '.join(sources)}", "dim"), (0, 0, 0, 4)))
