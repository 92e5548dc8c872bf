"""`microneedling product-check`: may this product go on the skin this many hours after a session?"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from microneedling.cli.common import counted, fail, print_json, user_errors
from microneedling.cli.screen import load_kb
from microneedling.clinical.products import (
    MAX_APPROVED_PRODUCTS,
    MAX_LABEL_CHARS,
    ApprovedProduct,
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
#: An approved-products file may hold at most this many bytes.
MAX_APPROVED_FILE_BYTES = 2_000_000

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
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The product's name (an approval then applies only to a product of that name).",
            show_default=False,
        ),
    ] = None,
    approved_file: Annotated[
        Path | None,
        typer.Option(
            "--approved",
            metavar="APPROVED.json",
            help="The clinic's approved products: a JSON list of objects with name, ingredients, "
            "sterile, from_hours, approved_by and approved_on (YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    make_up_window: Annotated[
        str | None,
        typer.Option(
            "--make-up-window",
            metavar="HOURS",
            help="The clinic's make-up window in hours (default: the knowledge base's, 48).",
            show_default=False,
        ),
    ] = None,
    unknown_block: Annotated[
        str | None,
        typer.Option(
            "--unknown-block",
            metavar="HOURS",
            help="The clinic's unknown-ingredient block in hours (default: the knowledge "
            "base's, 72).",
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
        make_up_hours = parse_setting("--make-up-window", make_up_window)
        unknown_hours = parse_setting("--unknown-block", unknown_block)
        approved = () if approved_file is None else read_approved(approved_file)
        kb = load_kb(knowledge_base)
        try:
            result = check_product(
                text,
                hours_since_session,
                kb,
                sterile_post_procedure=sterile_post_procedure,
                make_up=make_up,
                make_up_window_hours=make_up_hours,
                unknown_block_hours=unknown_hours,
                approved_products=approved,
                product_name=name,
            )
        except UserError as error:
            option = _OPTIONS.get(error.field or "")
            if option is None:
                raise
            fail(f"{option}: {error.message}")
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


#: Which option an argument error of check_product is about.
_OPTIONS = {
    "make_up_window_hours": "--make-up-window",
    "unknown_block_hours": "--unknown-block",
    "product_name": "--name",
}


def parse_setting(option: str, value: str | None) -> int | None:
    """A clinic setting in whole hours ("48", "48 h"), or None when not given."""
    if value is None:
        return None
    cleaned = value.strip().removesuffix("h").strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 6:
        fail(f"{option}: expected a whole number of hours such as 48, got {value[:40]!r}")
    return int(cleaned)


def read_approved(path: Path) -> tuple[ApprovedProduct, ...]:
    """The approved products in a JSON file: a list of objects (or {"approved_products": [...]})."""
    name = str(path)
    if not path.exists():
        raise InputFileError(f"{name}: file not found")
    if not path.is_file():
        raise InputFileError(f"{name}: not a file")
    if path.stat().st_size > MAX_APPROVED_FILE_BYTES:
        raise InputFileError(
            f"{name}: more than {MAX_APPROVED_FILE_BYTES:,} bytes; an approved-products file is "
            "much smaller"
        )
    try:
        data: Any = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as error:
        raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise InputFileError(f"{name}: not valid JSON (line {error.lineno})") from None
    except RecursionError:
        raise InputFileError(f"{name}: nested too deeply") from None
    if isinstance(data, dict) and set(data) == {"approved_products"}:
        data = data["approved_products"]
    if not isinstance(data, list):
        raise InputFileError(f"{name}: expected a JSON list of approved products")
    if len(data) > MAX_APPROVED_PRODUCTS:
        raise InputFileError(f"{name}: more than {MAX_APPROVED_PRODUCTS} approved products")
    products: list[ApprovedProduct] = []
    for position, item in enumerate(data, start=1):
        try:
            products.append(ApprovedProduct.from_dict(item))
        except UserError as error:
            where = f" {error.field}" if error.field else ""
            raise InputFileError(
                f"{name}: approved product {position}{where}: {error.message}"
            ) from None
    return tuple(products)


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
    if result.product_name is not None:
        console.print(Text(f"Product: {result.product_name}"))
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
    if result.mineral_sunscreen:
        tint = f" (tint: {', '.join(result.tint)})" if result.tint else ""
        console.print(Text(f"Mineral sunscreen, not make-up{tint}"))
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
    if result.approval is not None:
        console.print(Text("Clinic approval:", "bold"))
        console.print(Padding(Text(f"✓ {result.approval.message}"), (0, 0, 0, 2)))
        if result.waived:
            console.print(Text("Set aside by the approval:", "bold"))
            for reason in result.waived:
                _print_reason(console, "-", reason.message, reason.sources)
    if result.allowed_from_hours is not None:
        console.print(
            Text(f"Allowed from: {hours_text(result.allowed_from_hours)} after the session")
        )
    settings = result.settings
    console.print(
        Text(
            f"Make-up window {hours_text(settings.make_up_window_hours)}; unknown-ingredient "
            f"block {hours_text(settings.unknown_block_hours)}",
            "dim",
        )
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
