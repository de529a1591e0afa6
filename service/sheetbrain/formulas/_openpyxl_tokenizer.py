"""openpyxl's formula tokenizer, without the rest of openpyxl.

`openpyxl.formula.tokenizer` needs only `re`, but importing it through its package runs
`openpyxl/__init__`, which loads the whole workbook model: about 0.1 s on every
`sheetbrain audit` process, most of the command's start-up. The module file is loaded
on its own instead; if openpyxl ever moves it, the ordinary import is used.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any


def _load() -> ModuleType:
    spec = importlib.util.find_spec("openpyxl")  # locates the package without running it
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "formula" / "tokenizer.py"
        module_spec = importlib.util.spec_from_file_location("sheetbrain._tokenizer", path)
        if path.is_file() and module_spec is not None and module_spec.loader is not None:
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            return module
    from openpyxl.formula import tokenizer

    packaged: ModuleType = tokenizer
    return packaged


_module = _load()
Tokenizer: Any = _module.Tokenizer
OpenpyxlToken: Any = _module.Token
