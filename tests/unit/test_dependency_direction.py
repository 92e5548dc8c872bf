"""Dependencies point one way (DESIGN.md): api, web, cli → services → store and the pure packages.

The pure packages import nothing from SQLAlchemy, FastAPI, Jinja2 or Typer, nor from the layers
above them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "microneedling"
PURE = ("clinical", "knowledge", "simulation", "scheduling")
FRAMEWORKS = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "jinja2", "typer", "rich")
#: For each layer, the layers of this package it must not import.
FORBIDDEN_LAYERS: dict[str, tuple[str, ...]] = {
    **{pure: ("store", "services", "api", "web", "cli", "config") for pure in PURE},
    "store": ("services", "api", "web", "cli"),
    "services": ("api", "web", "cli"),
    "api": ("web", "cli"),
    "web": ("cli",),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layer(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else None


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_the_dependency_direction(path: Path) -> None:
    layer = _layer(path)
    if layer is None:
        return
    problems = []
    for line, name in _imports(path):
        top = name.split(".")[0]
        if layer in PURE and top in FRAMEWORKS:
            problems.append(f"line {line}: pure package {layer!r} imports {name!r}")
        if name.startswith("microneedling."):
            target = name.split(".")[1]
            if target in FORBIDDEN_LAYERS.get(layer, ()):
                problems.append(f"line {line}: {layer!r} imports {name!r}")
    assert not problems, "\n".join(problems)


def test_the_check_sees_every_layer_that_exists() -> None:
    layers = {_layer(p) for p in _modules()} - {None}
    assert {"clinical", "knowledge", "cli"} <= layers
