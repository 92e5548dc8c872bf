"""Reading input documents (JSON or YAML) safely: size limits, duplicate keys, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from microneedling.errors import InputFileError
from microneedling.knowledge.yamlsource import YamlError, load_yaml

#: An intake or plan request is a few kB; anything past this is refused before parsing.
MAX_DOCUMENT_BYTES = 1_000_000
#: One line of a JSONL batch.
MAX_LINE_BYTES = 1_000_000


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InputFileError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_json(text: str, what: str) -> Any:
    """Parse JSON text, refusing duplicate keys, NaN and absurd nesting."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{what}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise InputFileError(f"{what}: JSON nested too deeply") from None
    except InputFileError as error:
        raise InputFileError(f"{what}: {error.message}") from None


def _refuse_constant(name: str) -> Any:
    raise InputFileError(f"{name} is not allowed in JSON input")


def read_document(path: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read a JSON or YAML file (by suffix: .yaml/.yml is YAML, anything else JSON)."""
    name = str(path)
    if str(path) == "-":
        raise InputFileError("reading from standard input is not supported; give a file")
    if not path.exists():
        raise InputFileError(f"{name}: file not found")
    if not path.is_file():
        raise InputFileError(f"{name}: not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputFileError(f"{name}: file is {size:,} bytes; the limit is {max_bytes:,} bytes")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{name}: not UTF-8 text") from None
    except OSError as error:
        raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None
    if not text.strip():
        raise InputFileError(f"{name}: file is empty")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data, _ = load_yaml(text, name)
        except YamlError as error:
            raise InputFileError(str(error)) from None
        except RecursionError:
            raise InputFileError(f"{name}: YAML nested too deeply") from None
        return data
    return parse_json(text, name)
