"""Shared command-line conventions: JSON output, one-line errors with exit code 2, plot files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from microneedling.errors import UserError

#: Exit code for bad input, whatever the command.
EXIT_USER_ERROR = 2
PLOT_SUFFIXES = (".svg", ".png")

#: The ``--plot FILE`` option of the commands that draw a figure.
PlotOption = Annotated[
    Path | None,
    typer.Option("--plot", help="Also write a figure (.svg or .png).", show_default=False),
]


def print_json(data: Any) -> None:
    """Print one JSON document (stable key order as given, UTF-8, trailing newline)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def fail(message: str) -> NoReturn:
    """Print a one-line error on stderr and exit 2 (no traceback)."""
    one_line = " ".join(str(message).split())
    typer.echo(f"error: {one_line}", err=True)
    raise typer.Exit(EXIT_USER_ERROR)


def describe(error: UserError) -> str:
    """A user error on one line: every field's problem when there are several (``birth_date:
    Enter a date like 1988-03-14 (YYYY-MM-DD); fitzpatrick: Choose a Fitzpatrick type between 1
    and 6``), in the same plain words as the API and the web forms."""
    if len(error.fields) > 1:
        return "; ".join(
            f"{path}: {message}" if path else message for path, message in error.fields
        )
    return str(error)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn any :class:`UserError` raised inside into a one-line message and exit 2."""
    try:
        yield
    except UserError as error:
        fail(describe(error))


def check_plot_path(path: Path) -> Path:
    """Refuse a plot path that is not .svg or .png, or whose folder does not exist."""
    if path.suffix.lower() not in PLOT_SUFFIXES:
        fail(f"--plot: expected a file ending in .svg or .png, got {path.name!r}")
    if not path.parent.exists():
        fail(f"--plot: folder {str(path.parent)!r} does not exist")
    return path


@contextmanager
def options_named(option_for_field: dict[str, str]) -> Iterator[None]:
    """Re-raise a :class:`UserError` naming the command-line option instead of the model's field."""
    try:
        yield
    except UserError as error:
        if error.field in option_for_field:
            raise UserError(error.message, field=option_for_field[error.field]) from error
        raise
