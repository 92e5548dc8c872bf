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


def test_services_scheduling_modules_are_small_and_import_each_other_one_way() -> None:
    """``services/scheduling/`` (issue 16): each module small enough to read in one sitting
    (at most 600 lines, DESIGN.md), and no circle among its modules' imports (the package's
    ``__init__`` counts as a module: a module importing the package imports every other)."""
    package = PACKAGE / "services" / "scheduling"
    name = "microneedling.services.scheduling"
    modules = {path.stem: path for path in sorted(package.glob("*.py"))}
    assert {"__init__", "proposals", "booking", "rescheduling", "feeds"} <= set(modules)
    lengths = {
        stem: len(path.read_text(encoding="utf-8").splitlines()) for stem, path in modules.items()
    }
    too_long = {stem: count for stem, count in lengths.items() if count > 600}
    assert not too_long, f"modules over 600 lines: {too_long}"

    def targets(node: ast.Import | ast.ImportFrom) -> list[str]:
        """The package's modules an import statement reads (``__init__`` for the package)."""
        if isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        else:
            parent = name.split(".")[: len(name.split(".")) - max(node.level - 1, 0)]
            base = ".".join(parent) if node.level else ""
            base = ".".join(item for item in (base, node.module or "") if item)
            dotted = [f"{base}.{alias.name}" for alias in node.names]
        found = []
        for item in dotted:
            if item == name:
                found.append("__init__")
            elif item.startswith(name + "."):
                stem = item[len(name) + 1 :].split(".")[0]
                found.append(stem if stem in modules else "__init__")
        return found

    graph: dict[str, set[str]] = {}
    for stem, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[stem] = {
            target
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for target in targets(node)
            if target != stem
        }
    assert graph["__init__"], "the package's __init__ re-exports from its modules"

    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def circle_from(stem: str, path: list[str]) -> list[str] | None:
        state[stem] = 1
        for target in sorted(graph[stem]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [stem, target]
            if target not in state:
                found = circle_from(target, [*path, target])
                if found:
                    return found
        state[stem] = 2
        return None

    for stem in sorted(graph):
        if stem not in state:
            circle = circle_from(stem, [stem])
            assert circle is None, "import circle: " + " → ".join(circle)
