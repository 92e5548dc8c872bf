"""The command table of ``microneedling`` (cli/main.py, cli/simulate.py): every command is in it, and
the one-line help written there is the command's own (what ``--help`` shows without importing it).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping

import pytest
import typer

import microneedling.cli
from microneedling.cli.lazy import Lazy, load_command
from microneedling.cli.main import COMMANDS
from microneedling.cli.simulate import SIMULATE_COMMANDS

TABLES: dict[str, Mapping[str, Lazy]] = {"microneedling": COMMANDS, "simulate": SIMULATE_COMMANDS}
ENTRIES = [(group, name, entry) for group, table in TABLES.items() for name, entry in table.items()]


def first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


@pytest.mark.parametrize(
    ("group", "name", "entry"), ENTRIES, ids=[f"{g} {n}" for g, n, _ in ENTRIES]
)
def test_the_one_line_help_is_the_commands_own(group: str, name: str, entry: Lazy) -> None:
    command = load_command(name, entry)
    assert command.name == name
    assert entry.summary == first_paragraph(command.help)


def _command_modules() -> list[str]:
    """The modules of cli/ that define commands (not the table and its machinery)."""
    return sorted(
        f"microneedling.cli.{info.name}"
        for info in pkgutil.iter_modules(microneedling.cli.__path__)
        if info.name not in ("main", "lazy")
    )


def test_every_command_of_the_cli_modules_is_registered() -> None:
    registered = {(entry.module, entry.attribute) for _, _, entry in ENTRIES}
    missing = []
    for module_name in _command_modules():
        module = importlib.import_module(module_name)
        apps = {key: value for key, value in vars(module).items() if isinstance(value, typer.Typer)}
        in_a_group = {
            command.callback for app in apps.values() for command in app.registered_commands
        }
        # A group inside another group of the module (``clinic policy``) is reached through it.
        nested = {
            id(info.typer_instance) for app in apps.values() for info in app.registered_groups
        }
        for key, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module_name
            if key in apps:
                candidate = id(value) not in nested
            else:
                candidate = (
                    key.endswith("_command") and inspect.isfunction(value) and defined_here
                    and value not in in_a_group
                )  # fmt: skip
            if candidate and (module_name, key) not in registered:
                missing.append(f"{module_name}.{key}")
    assert not missing, f"not registered in cli/main.py or cli/simulate.py: {missing}"


def test_the_tables_name_no_command_twice() -> None:
    for table in TABLES.values():
        assert len({(entry.module, entry.attribute) for entry in table.values()}) == len(table)
