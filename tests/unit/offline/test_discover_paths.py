"""Which files `sheetbrain audit PATH...` audits: folders, globs, excludes."""

import pytest

from sheetbrain.offline.discover import Target, discover
from support.spreadsheets import FOUND


def paths_of(discovery):
    return [target.path for target in discovery.targets]


def test_a_folder_is_searched_recursively_leaving_out_hidden_folders_and_lock_files(folder):
    assert paths_of(discover(["."])) == FOUND


def test_files_found_in_folders_are_not_explicit_but_named_files_are(folder):
    discovery = discover(["models/sub", "models/budget.xlsx"])
    assert discovery.targets == (
        Target("models/budget.xlsx", explicit=True),
        Target("models/sub/clean.xlsx", explicit=False),
    )


def test_a_glob_pattern_expands_to_the_files_it_matches(folder):
    assert paths_of(discover(["models/**/*.xlsx"])) == [
        "models/budget.xlsx",
        "models/corrupt.xlsx",
        "models/encrypted.xlsx",
        "models/sub/clean.xlsx",
    ]


@pytest.mark.parametrize(
    ("pattern", "left"),
    [
        ("*.xlsx", ["models/Q1 forecast.csv", "models/package.json", "models/request.json"]),
        ("sub", [path for path in FOUND if path != "models/sub/clean.xlsx"]),
        ("./models/*", []),
    ],
)
def test_exclude_leaves_out_files_whose_path_name_or_folder_matches(folder, pattern, left):
    assert paths_of(discover(["."], [pattern])) == left


def test_a_file_reached_twice_is_audited_once(folder):
    assert paths_of(discover(["models/sub", "models/sub/clean.xlsx", "models/sub/*"])) == [
        "models/sub/clean.xlsx"
    ]


def test_a_missing_path_and_a_pattern_matching_nothing_are_reported(folder):
    assert discover(["nowhere.xlsx", "models/*.xlsb"]).missing == (
        ("nowhere.xlsx", "no such file or folder"),
        ("models/*.xlsb", "no file matches this pattern"),
    )


def test_a_file_outside_the_current_folder_is_shown_with_its_absolute_path(folder, monkeypatch):
    (folder / "elsewhere").mkdir()
    monkeypatch.chdir(folder / "elsewhere")
    outside = folder / "models" / "sub" / "clean.xlsx"
    assert paths_of(discover([str(outside)])) == [outside.as_posix()]
