"""Subcommands registered by name and imported only when they run.

``microneedling --help`` lists every command with its one-line help without importing any of them;
``microneedling screen`` imports the screening command's module and nothing of the others (no
SciPy, OR-Tools, SQLAlchemy or Matplotlib). Each command's one-line help is written where it is
registered (``cli/main.py``, ``cli/simulate.py``); a test checks it against the command's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import typer

# Typer carries its own copy of click; its group and command classes are built on it.
from typer import _click
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A subcommand by name: the module that defines it, the attribute holding it (a command
    function or a :class:`typer.Typer` of subcommands), and its one-line help."""

    module: str
    attribute: str
    summary: str


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands are imported on first use.

    Use :func:`lazy_group` to make the subclass for one table of commands and pass it as
    ``typer.Typer(cls=...)``.
    """

    lazy: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._summaries_only = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*self.commands, *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        loaded = self.commands.get(cmd_name)
        if loaded is not None:
            return loaded
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return None
        if self._summaries_only:
            # Listing the commands in --help: the one-line help is enough.
            return TyperCommand(name=cmd_name, help=entry.summary)
        command = load_command(cmd_name, entry)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._summaries_only = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._summaries_only = False

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        # As Typer's, but suggesting from every command, imported or not.
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as error:
            if self.suggest_commands and args:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(f"{match!r}" for match in matches)
                    error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


def lazy_group(commands: Mapping[str, Lazy]) -> type[LazyGroup]:
    """A :class:`LazyGroup` subclass serving ``commands`` (name → where it is defined)."""
    return type("LazyCommands", (LazyGroup,), {"lazy": dict(commands)})


def load_command(name: str, entry: Lazy) -> _click.Command:
    """Import ``entry``'s module and build the click command Typer would have built."""
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    command: _click.Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command
