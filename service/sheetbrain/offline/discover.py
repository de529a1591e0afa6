"""Turn the paths given to `sheetbrain audit` (files, folders, glob patterns) into files."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

SUPPORTED_SUFFIXES = frozenset({".xlsx", ".xlsm", ".csv", ".json"})
_GLOB_CHARACTERS = frozenset("*?[")
# Hidden files and folders (.git, .venv) and Office's lock files (~$Budget.xlsx, written
# beside every open workbook and unreadable) are never what a folder scan is after.
_IGNORED_PREFIXES = (".", "~$")


@dataclass(frozen=True, slots=True)
class Target:
    path: str  # as shown in reports: relative to the current folder when inside it
    explicit: bool  # named on the command line, not found in a folder or by a pattern


@dataclass(frozen=True, slots=True)
class Discovery:
    targets: tuple[Target, ...]  # sorted by path, each file once
    missing: tuple[tuple[str, str], ...]  # (path or pattern, why nothing was found)


def discover(arguments: Sequence[str], excludes: Sequence[str] = ()) -> Discovery:
    """The files named by `arguments`, minus those matching an `excludes` pattern.

    An exclude pattern (fnmatch syntax) leaves out a file when it matches the file's
    shown path, its name, or the path or name of any folder above it.
    """
    cwd = Path.cwd()
    patterns = [pattern.removeprefix("./").rstrip("/") for pattern in excludes]
    found: dict[str, Target] = {}
    missing: list[tuple[str, str]] = []
    for argument in arguments:
        for path, explicit in _expand(argument, patterns, cwd, missing):
            shown = shown_path(path, cwd)
            if not _excluded(shown, patterns):
                found.setdefault(shown, Target(shown, explicit))
    return Discovery(tuple(sorted(found.values(), key=lambda t: t.path)), tuple(missing))


def shown_path(path: Path, cwd: Path) -> str:
    """`path` relative to `cwd` when inside it (as code scanning expects), else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


def _expand(
    argument: str, patterns: Sequence[str], cwd: Path, missing: list[tuple[str, str]]
) -> Iterator[tuple[Path, bool]]:
    path = Path(argument)
    if path.is_dir():
        yield from ((file, False) for file in _walk(path, patterns, cwd))
    elif path.exists():
        yield path, True  # named explicitly: audited whatever its type (the reader decides)
    elif not _GLOB_CHARACTERS & set(argument):
        missing.append((shown_path(path, cwd), "no such file or folder"))
    else:
        matches = [Path(match) for match in glob.glob(argument, recursive=True)]
        if not matches:
            missing.append((argument, "no file matches this pattern"))
        for match in matches:
            if match.is_dir():
                yield from ((file, False) for file in _walk(match, patterns, cwd))
            elif _wanted(match.name):
                yield match, False


def _walk(folder: Path, patterns: Sequence[str], cwd: Path) -> Iterator[Path]:
    for root, folders, files in os.walk(folder):
        base = Path(root)
        folders[:] = [
            name
            for name in folders
            if not name.startswith(_IGNORED_PREFIXES)
            and not _excluded(shown_path(base / name, cwd), patterns)
        ]
        yield from (base / name for name in files if _wanted(name))


def _wanted(name: str) -> bool:
    return not name.startswith(_IGNORED_PREFIXES) and Path(name).suffix.lower() in (
        SUPPORTED_SUFFIXES
    )


def _excluded(shown: str, patterns: Sequence[str]) -> bool:
    parts = shown.split("/")
    candidates = {*parts, *("/".join(parts[: end + 1]) for end in range(len(parts)))}
    return any(fnmatch(candidate, pattern) for pattern in patterns for candidate in candidates)
