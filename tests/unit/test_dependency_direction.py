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


# -- no import circles in cli/ and knowledge/ (issue 16) ----------------------------------------


def _import_graph(package: str) -> dict[str, set[str]]:
    """Which modules of ``microneedling.<package>`` each of its modules imports: every import
    statement counts, at the top, in a function or under ``TYPE_CHECKING`` (a circle there is
    still one, only hidden until the day someone moves the import); ``__init__`` stands for the
    package itself."""
    folder = PACKAGE / package
    name = f"microneedling.{package}"
    modules = {path.stem for path in folder.glob("*.py")}

    def stems(dotted: str) -> list[str]:
        if dotted == name:
            return ["__init__"]
        if dotted.startswith(name + "."):
            stem = dotted[len(name) + 1 :].split(".")[0]
            return [stem if stem in modules else "__init__"]
        return []

    graph: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.update(stems(alias.name))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(name.split(".")[: len(name.split(".")) - (node.level - 1)])
                    module = ".".join(part for part in (base, node.module or "") if part)
                else:
                    module = node.module or ""
                if module == name:  # from microneedling.cli import simulate_geometry
                    for alias in node.names:
                        found.add(alias.name if alias.name in modules else "__init__")
                else:
                    found.update(stems(module))
        graph[path.stem] = found - {path.stem}
    return graph


def _first_circle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(stem: str, path: list[str]) -> list[str] | None:
        state[stem] = 1
        for target in sorted(graph.get(stem, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target, [*path, target])
                if found:
                    return found
        state[stem] = 2
        return None

    for stem in sorted(graph):
        if stem not in state:
            circle = visit(stem, [stem])
            if circle:
                return circle
    return None


@pytest.mark.parametrize("package", ["cli", "knowledge"])
def test_no_import_circle_among_the_modules_of(package: str) -> None:
    circle = _first_circle(_import_graph(package))
    assert circle is None, f"import circle in {package}/: " + " → ".join(circle or [])


def test_the_circle_check_finds_a_circle() -> None:
    assert _first_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _first_circle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_simulate_commands_do_not_import_the_simulate_group() -> None:
    graph = _import_graph("cli")
    for stem in ("simulate_geometry", "simulate_healing", "simulate_transport"):
        assert "simulate" not in graph[stem], f"cli/{stem}.py imports cli/simulate.py"
    assert not {"simulate_geometry", "simulate_healing", "simulate_transport"} & graph["simulate"]


def test_the_knowledge_registry_depends_on_the_schemas_and_the_loader_on_the_registry() -> None:
    graph = _import_graph("knowledge")
    schemas = {stem for stem in graph if stem.startswith("schema")}
    assert schemas <= graph["registry"]
    assert "registry" in graph["loader"]
    assert "loader" not in graph["registry"]
    for stem in schemas:
        assert not {"loader", "registry", "__init__"} & graph[stem], f"{stem} imports back"
