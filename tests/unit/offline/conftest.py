import pytest

from support.spreadsheets import write_models_folder


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The current folder, holding models/ (see support.spreadsheets)."""
    monkeypatch.chdir(tmp_path)
    write_models_folder(tmp_path)
    return tmp_path
