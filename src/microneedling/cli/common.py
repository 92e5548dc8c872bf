"""Shared command-line conventions: JSON output, one-line errors with exit code 2, plot files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from microneedling.errors import UserError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``noun`` as ``count`` of it is said: ``ingredient`` for 1, ``ingredients`` otherwise."""
    return noun if count == 1 else (plural_noun or f"{noun}s")


def counted(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 ingredient``, ``2 ingredients``, ``1,000 ingredients``."""
    return f"{count:,} {plural(count, noun, plural_noun)}"


def fail(message: str) -> NoReturn:
    """Print a one-line error on stderr and exit 2 (no traceback)."""
    one_line = " ".join(str(message).split())
    typer.echo(f"error: {one_line}", err=True)
    raise typer.Exit(EXIT_USER_ERROR)


#: The models of the settings read from the environment, and their variables' prefix.
SETTINGS_MODELS = {"Settings": "MICRONEEDLING_", "WebSettings": "MICRONEEDLING_WEB_"}


def settings_problem(error: BaseException) -> str | None:
    """What is wrong with the settings, in one line, when ``error`` is pydantic's refusal of
    them (the values typed are never quoted: one could be a key); None for any other error."""
    prefix = SETTINGS_MODELS.get(str(getattr(error, "title", "")))
    if type(error).__name__ != "ValidationError" or prefix is None:
        return None
    problems = []
    for item in error.errors(include_input=False):  # type: ignore[attr-defined]
        message = str(item["msg"]).removeprefix("Value error, ")
        names = "_".join(str(part) for part in item["loc"]).upper()
        if names and "MICRONEEDLING_" not in message:
            message = f"{prefix}{names}: {message}"
        problems.append(message)
    return "; ".join(problems)


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


def check_port(host: str, port: int) -> None:
    """Refuse, before anything is started or printed, an address this computer cannot listen on:
    a port another program holds, a host name that is not this computer's."""
    import errno
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        fail(f"--host: cannot listen on {host!r}: {getattr(error, 'strerror', None) or error}")
    family, kind, protocol, _, address = found[0]
    with socket.socket(family, kind, protocol) as probe:
        # As the server itself will: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                fail(f"port {port} is in use (on {host}); choose another with --port")
            fail(f"cannot listen on {host}:{port}: {error.strerror or error}")


def wrote(what: str, path: Path) -> None:
    """Say on stderr where a file was written (stdout stays the command's output, e.g. JSON)."""
    typer.echo(f"{what} written to {path.resolve()}", err=True)


def save_plot(figure: Figure, path: Path) -> None:
    """Write ``--plot``'s figure (.svg or .png) and say where; a file that cannot be written is a
    one-line error."""
    # Imported here: Matplotlib is slow to load and only needed for --plot.
    from microneedling.simulation.plotting import save_figure

    try:
        save_figure(figure, path)
    except OSError as error:
        fail(f"--plot: cannot write {str(path)!r}: {error.strerror or error}")
    wrote("Plot", path)


@contextmanager
def options_named(option_for_field: dict[str, str]) -> Iterator[None]:
    """Re-raise a :class:`UserError` naming the command-line option instead of the model's field."""
    try:
        yield
    except UserError as error:
        if error.field in option_for_field:
            raise UserError(error.message, field=option_for_field[error.field]) from error
        raise
