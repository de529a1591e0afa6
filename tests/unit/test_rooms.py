"""Dependencies run one way: from the entry points down through the API and the domain
to the store and the engine, with the identity, settings and errors at the bottom."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import sheetbrain

PACKAGE = Path(sheetbrain.__file__).parent

# A room may import rooms of a lower layer, or of its own (the cycle test keeps those
# one way). docs/architecture.md draws the same picture.
LAYERS = {
    "identity": 0,
    "settings": 0,
    "errors": 0,
    "log": 1,
    "metrics": 1,
    "formulas": 2,
    "store": 2,
    "review": 3,
    "offline": 3,
    "auth": 4,
    "audit": 4,
    "policies": 4,
    "billing": 4,
    "stats": 4,
    "health": 4,
    "clients": 5,
    "api": 5,
    "app": 6,
    "cli": 7,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _sheetbrain_imports(module: Path) -> set[str]:
    """The sheetbrain modules `module` imports (a package's name when that is all it is)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                nested = f"{node.module}.{alias.name}"
                names.add(nested if nested in MODULES else node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] == "sheetbrain"}


def _room(module: str) -> str:
    return module.split(".")[1]


def test_every_room_has_a_layer() -> None:
    rooms = {_room(name) for name in MODULES if name != "sheetbrain"}
    assert rooms - set(LAYERS) == set()


def test_no_room_imports_a_room_above_it() -> None:
    upward = {
        f"{name} -> {imported}"
        for name, path in MODULES.items()
        if name != "sheetbrain"
        for imported in _sheetbrain_imports(path)
        if imported != "sheetbrain" and LAYERS[_room(imported)] > LAYERS[_room(name)]
    }
    assert upward == set()


def test_modules_import_one_another_without_a_cycle() -> None:
    graph = {name: _sheetbrain_imports(path) & MODULES.keys() for name, path in MODULES.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None


def test_the_identity_module_imports_nothing_of_the_service() -> None:
    assert _sheetbrain_imports(PACKAGE / "identity.py") == set()


def test_the_formula_engine_imports_nothing_outside_itself() -> None:
    outside = {
        imported
        for name, path in MODULES.items()
        if name.startswith("sheetbrain.formulas")
        for imported in _sheetbrain_imports(path)
        if not imported.startswith("sheetbrain.formulas")
    }
    assert outside == set()
