"""Dependencies run one way: the identity is a leaf, and store/ knows no caller room."""

from __future__ import annotations

import ast
from pathlib import Path

import sheetbrain

PACKAGE = Path(sheetbrain.__file__).parent


def _sheetbrain_imports(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] == "sheetbrain"}


def test_the_identity_module_imports_nothing_of_the_service() -> None:
    assert _sheetbrain_imports(PACKAGE / "identity.py") == set()


def test_store_modules_import_neither_auth_nor_api() -> None:
    upward = {
        f"{module.name}: {name}"
        for module in sorted((PACKAGE / "store").glob("*.py"))
        for name in _sheetbrain_imports(module)
        if name.startswith(("sheetbrain.auth", "sheetbrain.api"))
    }
    assert upward == set()
