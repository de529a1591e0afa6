"""`.pre-commit-hooks.yaml`: other repositories run `sheetbrain audit` on changed files."""

import re
from importlib.metadata import entry_points
from pathlib import Path

import yaml

from sheetbrain.cli import cli

REPO = Path(__file__).resolve().parents[3]


def hook():
    [only] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return only


def test_pre_commit_hook_runs_the_audit_command_of_the_installed_console_script():
    program, command = hook()["entry"].split()
    [script] = entry_points(group="console_scripts", name=program)
    assert (hook()["id"], script.value, command in cli.list_commands(None)) == (  # type: ignore[arg-type]
        "sheetbrain-audit",
        "sheetbrain.cli:main",
        True,
    )


def test_pre_commit_hook_passes_changed_workbooks_and_csv_files_as_arguments():
    names = ["a.xlsx", "b/c.xlsm", "d.csv", "e.json", "f.xlsx.bak", "g.xls"]
    matching = [name for name in names if re.search(hook()["files"], name)]
    assert (hook()["language"], hook()["pass_filenames"], matching) == (
        "python",
        True,
        ["a.xlsx", "b/c.xlsm", "d.csv"],
    )
