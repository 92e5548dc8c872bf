"""`microneedling score`: score an outcome scale (REFERENCE.md A.5), or list the scales.

microneedling score vss vascularity=1 pigmentation=1 pliability=2 height=1 --json
microneedling score mmasi --file mmasi.json
microneedling score gais 2                # a one-input scale takes a bare value
microneedling score --list [SCALE]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from microneedling.cli.common import fail, print_json, user_errors
from microneedling.cli.inputs import read_document
from microneedling.cli.screen import load_kb
from microneedling.clinical.scales import (
    InputSpec,
    ScaleInfo,
    ScaleResult,
    list_scales,
    scale_info,
    score,
)

#: Scale inputs are a few hundred bytes; a file past this is refused before parsing.
MAX_INPUT_FILE_BYTES = 100_000
#: Most KEY=VALUE arguments accepted (the largest scale has 20 inputs).
MAX_ARGUMENTS = 200


def score_command(
    scale: Annotated[
        str | None,
        typer.Argument(
            metavar="SCALE",
            help="The scale: gais, goodman_qualitative, goodman_quantitative, mmasi, vss, posas,"
            " glogau, satisfaction (see --list).",
            show_default=False,
        ),
    ] = None,
    values: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="KEY=VALUE",
            help="Inputs, e.g. forehead.area=2; a one-input scale also takes a bare value.",
            show_default=False,
        ),
    ] = None,
    inputs_file: Annotated[
        Path | None,
        typer.Option("--file", help="Inputs as a JSON (or YAML) object, flat or nested."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the scales (or SCALE) and their inputs.")
    ] = False,
    knowledge_base: Annotated[
        Path | None, typer.Option("--kb", help="Knowledge-base folder (default: the shipped one).")
    ] = None,
) -> None:
    """Score an outcome scale: total, range, interpretation, warnings, sources.

    Exit 0 with a score; exit 2 on bad input (unknown scale or input, missing or out of range).
    """
    with user_errors():
        kb = load_kb(knowledge_base)
        if list_only:
            if values or inputs_file is not None:
                fail("--list takes no inputs; give just --list or --list SCALE")
            infos = list_scales(kb) if scale is None else (scale_info(scale, kb),)
            if as_json:
                print_json({"scales": [info.to_dict() for info in infos]})
            else:
                _print_list(infos)
            return
        if scale is None:
            fail("give a scale, e.g. `microneedling score vss ...` (see `score --list`)")
        info = scale_info(scale, kb)
        inputs: dict[str, Any] = {}
        if inputs_file is not None:
            data = read_document(inputs_file, max_bytes=MAX_INPUT_FILE_BYTES)
            if not isinstance(data, dict):
                fail(f"{inputs_file}: expected an object of name: value pairs")
            inputs.update(data)
        for key, value in _parse_arguments(values or [], info).items():
            if key in inputs:
                fail(f"{key}: given both in --file and on the command line")
            inputs[key] = value
        result = score(info.code, inputs, kb)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_result(result, info)


def _parse_arguments(arguments: list[str], info: ScaleInfo) -> dict[str, str]:
    """``KEY=VALUE`` arguments as a mapping; one bare value for a one-input scale."""
    if len(arguments) > MAX_ARGUMENTS:
        fail(f"too many arguments ({len(arguments)}); {info.code} takes {len(info.inputs)}")
    if len(arguments) == 1 and "=" not in arguments[0] and len(info.inputs) == 1:
        return {info.inputs[0].name: arguments[0]}
    parsed: dict[str, str] = {}
    for argument in arguments:
        key, equals, value = argument.partition("=")
        key, value = key.strip(), value.strip()
        shown = argument if len(argument) <= 40 else argument[:37] + "..."
        if not equals:
            hint = " (a one-input scale takes a single bare value)" if len(info.inputs) == 1 else ""
            fail(f"malformed argument {shown!r}: expected KEY=VALUE{hint}")
        if not key:
            fail(f"malformed argument {shown!r}: no name before '='")
        if not value:
            fail(f"{key}: no value after '='")
        if key in parsed:
            fail(f"{key}: given twice")
        parsed[key] = value
    return parsed


# Readable output -----------------------------------------------------------------------------


def _print_result(result: ScaleResult, info: ScaleInfo) -> None:
    console = Console(highlight=False)
    console.print(Text.assemble((f"{info.abbreviation}", "bold"), f" — {info.label}"))
    console.print(Text(f"Version: {result.version}", "dim"))
    low, high = result.range
    if isinstance(result.score, int | float):
        shown = str(result.score)
    else:
        shown = ", ".join(
            f"{name.replace('_', ' ')} {value}" for name, value in result.score.items()
        )
    line = Text("Score: ")
    line.append(shown, "bold")
    line.append(f"   (range {low}–{high}, {result.better} is better)")
    console.print(line)
    interpretation = result.interpretation
    if interpretation.band is not None:
        console.print(Text.assemble("Interpretation: ", (interpretation.label, "bold")))
    if interpretation.description:
        console.print(Padding(Text(interpretation.description), (0, 0, 0, 2)))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("Input", "Value", "Meaning"):
        table.add_column(column)
    specs = {spec.name: spec for spec in info.inputs}
    for name, value in result.inputs.items():
        table.add_row(name, str(value), _meaning(specs[name], value))
    console.print(Padding(table, (1, 0, 1, 2)))
    for warning in result.warnings:
        console.print(Text.assemble(("Warning: ", "bold yellow"), warning))
    console.print(Text(f"Sources: {', '.join(result.sources)}", "dim"))
    console.print(
        Text(f"Knowledge base {result.knowledge_base_version} {result.knowledge_base_hash}", "dim")
    )


def _meaning(spec: InputSpec, value: int | float) -> str:
    for level, label in spec.levels:
        if level == value:
            return label
    return spec.label


def _print_list(infos: tuple[ScaleInfo, ...]) -> None:
    console = Console(highlight=False)
    for info in infos:
        low, high = info.range
        title = Text.assemble(
            (info.code, "bold"),
            f"  {info.label} ({info.abbreviation}): {low}–{high}, {info.better} is better",
        )
        console.print(title)
        console.print(Padding(Text(info.version, "dim"), (0, 0, 0, 2)))
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for column in ("Input", "Values", "Meaning"):
            table.add_column(column)
        for spec in info.inputs:
            accepted = f"{spec.min}–{spec.max}"
            if spec.kind == "decimal":
                accepted += (
                    f" (up to {spec.decimals} decimal place{'s' if spec.decimals > 1 else ''})"
                )
            if spec.symbols:
                accepted += " or " + ", ".join(spec.symbols)
            meaning = spec.label
            if spec.levels:
                meaning += ": " + "; ".join(f"{value} {label}" for value, label in spec.levels)
            table.add_row(spec.name, accepted, meaning)
        console.print(Padding(table, (0, 0, 0, 2)))
        if info.bands:
            bands = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for column in ("Total", "Band", "Description"):
                bands.add_column(column)
            for band in info.bands:
                span = f"{band.min}" if band.min == band.max else f"{band.min}–{band.max}"
                bands.add_row(span, band.label, band.description or "")
            console.print(Padding(bands, (1, 0, 0, 2)))
        for row, what, where, kind in info.verified:
            about = f" ({row})" if row else ""
            line = f"Verified{about}, {kind}: {' '.join(what.split())} Where: {where}"
            console.print(Padding(Text(line, "dim"), (0, 0, 0, 2)))
        for text, warn in info.to_verify:
            style = "yellow" if warn else "dim"
            console.print(Padding(Text(f"To verify: {text}", style), (0, 0, 0, 2)))
        console.print(Padding(Text(f"Sources: {', '.join(info.sources)}", "dim"), (0, 0, 1, 2)))
