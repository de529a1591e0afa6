"""The reader against openpyxl on real workbooks: the development split of the evaluation
(35 public workbooks from the EUSES corpus, c. 2000-2004), cell by cell."""

import os
from pathlib import Path

import pytest

REAL_WORKBOOKS = Path(
    os.environ.get("SHEETBRAIN_REAL_WORKBOOKS", "/work/shared/eval-dev/workbooks")
)
WORKBOOKS = sorted(REAL_WORKBOOKS.glob("*.xlsx"))


def test_the_real_workbooks_are_there():
    # Without this, a missing folder would leave the comparison below with nothing to run.
    assert len(WORKBOOKS) == 35


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on their headers and print areas
@pytest.mark.parametrize("path", WORKBOOKS, ids=[p.stem for p in WORKBOOKS])
def test_real_workbook_reads_as_openpyxl_reads_it(path, differences_from_openpyxl):
    assert differences_from_openpyxl(path) == []
