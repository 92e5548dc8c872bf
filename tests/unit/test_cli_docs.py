"""The documents a newcomer reads first stay complete: README's command-line section lists every
command and every option of it (simulate's many model parameters are documented in
docs/science.md instead, and each has --help); CONTRIBUTING's test table lists every test folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer import _click
from typer.core import TyperGroup

from microneedling.cli.lazy import load_command
from microneedling.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
#: Options documented elsewhere: the simulate models' parameters (docs/science.md).
ELSEWHERE = {"simulate"}
#: Options the section describes once for every command that has them.
EVERYWHERE = {"--json"}


def command_line_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Command line")
    return text[start : text.index("\n## ", start + 1)]


def commands() -> list[tuple[str, _click.Command]]:
    """(``group sub`` or ``name``, click command) for every command a user can run."""
    found: list[tuple[str, _click.Command]] = []
    for name, entry in COMMANDS.items():
        command = load_command(name, entry)
        if isinstance(command, TyperGroup):
            context = _click.Context(command)
            for sub in command.list_commands(context):
                subcommand = command.get_command(context, sub)
                assert subcommand is not None
                found.append((f"{name} {sub}", subcommand))
        else:
            found.append((name, command))
    return found


COMMAND_LIST = commands()


@pytest.mark.parametrize(("name", "command"), COMMAND_LIST, ids=[n for n, _ in COMMAND_LIST])
def test_readme_lists_the_command_and_its_options(name: str, command: _click.Command) -> None:
    section = command_line_section()
    group, _, sub = name.partition(" ")
    if sub:
        # `microneedling calendar show ...`, or `calendar show` in a cell that names several.
        assert re.search(rf"`(microneedling )?{group} [^`]*\b{sub}\b", section), name
    else:
        assert f"`microneedling {name}" in section, name
    if group in ELSEWHERE:
        return
    cells = [line for line in section.splitlines() if re.search(rf"\b{group}\b", line)]

    def mentioned(spellings: list[str]) -> bool:
        return any(re.search(rf"{spelling}\b", cell) for spelling in spellings for cell in cells)

    missing = [
        parameter.opts[0]
        for parameter in command.params
        if parameter.param_type_name == "option"
        and not getattr(parameter, "hidden", False)
        and not {"--help", *EVERYWHERE} & set(parameter.opts)
        and not mentioned([*parameter.opts, *getattr(parameter, "secondary_opts", [])])
    ]
    assert not missing, f"README's command table does not mention {missing} of `{name}`"


def test_readme_mentions_version_and_the_options_every_command_has() -> None:
    section = command_line_section()
    assert "microneedling --version" in section
    for option in EVERYWHERE:
        assert f"`{option}`" in section


def test_contributing_lists_every_test_folder() -> None:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    table = text[
        text.index("## Test categories") : text.index("\n## ", text.index("## Test categories") + 1)
    ]
    folders = sorted(
        path.parent.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")
    )
    missing = sorted({folder for folder in folders if f"| `{folder}/` |" not in table})
    assert not missing, f"CONTRIBUTING.md's test table does not list {missing}"
