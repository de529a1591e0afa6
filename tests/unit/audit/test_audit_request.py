"""The four request shapes of the add-on contract, normalised into one AuditInput."""

from __future__ import annotations

from typing import Any

import pytest

from sheetbrain.audit.request import (
    AuditInput,
    AuditLimits,
    AuditRequestBody,
    FormulaTooLong,
    NoFormulas,
    SheetContext,
    TooManyCells,
    TooManyFormulas,
    normalise,
    parse_request,
    survey,
)
from sheetbrain.errors import BadRequest
from sheetbrain.formulas import CellInput


def limits(**given: int) -> AuditLimits:
    return AuditLimits(
        max_formulas=given.get("max_formulas", 100),
        max_formula_length=given.get("max_formula_length", 1000),
        max_cells=given.get("max_cells", 1000),
    )


def normalised(body: dict[str, Any], **given: int) -> AuditInput:
    return normalise(AuditRequestBody.model_validate(body), limits(**given))


# ---------------------------------------------------------------- 1. the seed guide's list


def test_the_seed_guide_list_gets_row_major_addresses_when_the_range_fits() -> None:
    request = normalised({"formulas": ["=A1", "=B1", "=A2", "=B2"], "context": {"range": "C3:D4"}})

    assert request.cells == (
        CellInput("C3", "=A1"),
        CellInput("D3", "=B1"),
        CellInput("C4", "=A2"),
        CellInput("D4", "=B2"),
    )


def test_the_seed_guide_list_has_no_addresses_when_the_range_does_not_fit() -> None:
    request = normalised(
        {
            "formulas": ["=SUM(A1:A10)", "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)"],
            "context": {"sheetName": "Test Sheet", "range": "A1:B2"},
        }
    )

    assert request.cells == (
        CellInput(None, "=SUM(A1:A10)"),
        CellInput(None, "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)"),
    )
    assert request.context == SheetContext(sheet_name="Test Sheet", range="A1:B2")


def test_a_listed_text_that_is_not_a_formula_becomes_a_value() -> None:
    request = normalised({"formulas": ["=A1", "total"], "context": {"range": "A1:B1"}})

    assert request.cells == (CellInput("A1", "=A1"), CellInput("B1", None, "total"))


# ---------------------------------------------------------------- 2. the add-on API client


def test_the_addon_grid_gives_exact_addresses_and_values_from_the_range() -> None:
    request = normalised(
        {
            "range": "B2:C3",
            "context": {
                "data": {"values": [[10, 20], [30, ""]], "formulas": [["", "=B2*2"], ["", ""]]},
                "sheetName": "Q3",
                "organization": "Acme",
                "department": "Finance",
                "sheetPurpose": "Budget",
            },
        }
    )

    assert request.cells == (
        CellInput("B2", None, 10),
        CellInput("C2", "=B2*2", 20),
        CellInput("B3", None, 30),
    )
    assert request.context == SheetContext(
        sheet_name="Q3",
        range="B2:C3",
        organization="Acme",
        department="Finance",
        sheet_purpose="Budget",
    )


def test_a_grid_without_a_range_keeps_its_formulas_without_addresses() -> None:
    request = normalised({"context": {"data": {"formulas": [["=1+1", "x"]]}}})

    assert request.cells == (CellInput(None, "=1+1"),)


# ---------------------------------------------------------------- 3. the context at top level


def test_the_context_object_at_top_level_is_read_like_the_context() -> None:
    request = normalised(
        {
            "sheetName": "Sales",
            "sheetId": 123,
            "spreadsheetId": "abc",
            "spreadsheetName": "Book",
            "range": "Sheet1!D9",
            "data": {"values": [[5]], "formulas": [["=D8+1"]]},
            "formulas": [["=D8+1"]],
            "organization": "Acme",
        }
    )

    assert request.cells == (CellInput("D9", "=D8+1", 5),)
    assert request.context == SheetContext(
        sheet_name="Sales",
        sheet_id="123",
        spreadsheet_id="abc",
        spreadsheet_name="Book",
        range="Sheet1!D9",
        organization="Acme",
    )


def test_a_top_level_formula_grid_is_used_when_data_has_none() -> None:
    request = normalised({"range": "A1:A2", "formulas": [["=B1"], ["=B2"]]})

    assert request.cells == (CellInput("A1", "=B1"), CellInput("A2", "=B2"))


# ---------------------------------------------------------------- 4. sheetContext entries


def test_sheet_context_entries_keep_their_cells_and_values() -> None:
    request = normalised(
        {
            "sheetContext": {
                "sheetId": 7,
                "sheetName": "Ops",
                "formulas": [
                    {"cell": "$B$2", "formula": "=A2*2", "value": 42},
                    {"cell": "not-a-cell", "formula": "=A3*2", "value": 44},
                    {"cell": "B4", "formula": "", "value": 1},
                ],
            }
        }
    )

    assert request.cells == (
        CellInput("B2", "=A2*2", 42),
        CellInput(None, "=A3*2", 44),
        CellInput("B4", None, 1),
    )
    assert request.context == SheetContext(sheet_name="Ops", sheet_id="7")


# ---------------------------------------------------------------- limits


def test_a_body_without_formulas_is_refused() -> None:
    with pytest.raises(NoFormulas) as refused:
        normalised({"formulas": ["", "text", "="]})

    assert (refused.value.status, refused.value.code) == (422, "no-formulas")


def test_more_formulas_than_the_limit_are_refused() -> None:
    with pytest.raises(TooManyFormulas) as refused:
        normalised({"formulas": ["=1", "=2", "=3"]}, max_formulas=2)

    assert (refused.value.status, refused.value.code) == (413, "too-many-formulas")
    assert refused.value.extra == {"limit": 2, "formulas": 3}


def test_values_do_not_count_against_the_formula_limit() -> None:
    request = normalised(
        {"range": "A1:C1", "data": {"values": [[1, 2, 3]], "formulas": [["", "", "=A1+B1"]]}},
        max_formulas=1,
    )

    assert len(request.cells) == 3


def test_an_overlong_formula_is_refused_naming_its_cell() -> None:
    with pytest.raises(FormulaTooLong) as refused:
        normalised(
            {"sheetContext": {"formulas": [{"cell": "C3", "formula": "=1+1+1"}]}},
            max_formula_length=5,
        )

    assert (refused.value.status, refused.value.code) == (422, "formula-too-long")
    assert refused.value.extra == {"limit": 5, "cell": "C3"}


# ---------------------------------------------------------------- what the audit derives


def test_the_retrieval_query_lists_function_names_then_the_sheet_description() -> None:
    body = {
        "formulas": ['=IFERROR(VLOOKUP(A1,T,2,FALSE),"now()")', "=sum(A1:A3)"],
        "context": {"sheetName": "Q3", "sheetPurpose": "pricing"},
    }

    request = survey(AuditRequestBody.model_validate(body), limits())

    assert request.retrieval_query() == "IFERROR SUM VLOOKUP Q3 pricing"


def test_the_review_context_uses_the_addons_names_and_skips_empty_fields() -> None:
    context = SheetContext(sheet_name="Q3", sheet_purpose="pricing", department="")

    assert context.as_review_context() == {"sheetName": "Q3", "sheetPurpose": "pricing"}


def test_values_count_against_the_cell_limit() -> None:
    body = {"range": "A1:C2", "data": {"values": [[1, 2, 3], [4, 5, 6]], "formulas": [["=A1"]]}}

    with pytest.raises(TooManyCells) as refused:
        normalised(body, max_cells=6)

    assert (refused.value.status, refused.value.code) == (413, "too-many-cells")
    assert refused.value.extra == {"limit": 6, "cells": 7}


def test_the_survey_collects_the_formulas_without_building_the_value_cells() -> None:
    body = {"range": "A1:B2", "data": {"values": [[1, 2], [3, 4]], "formulas": [["", "=A1"]]}}

    request = survey(AuditRequestBody.model_validate(body), limits())

    assert request.formula_cells == (CellInput("B1", "=A1"),)
    assert request.cells_sent == 6


def test_a_json_body_nested_two_thousand_deep_is_a_bad_request() -> None:
    raw = b'{"formulas": ' + b"[" * 2000 + b"]" * 2000 + b"}"

    with pytest.raises(BadRequest, match="nested too deeply"):
        parse_request(raw, limits())


def test_a_body_of_the_wrong_shape_names_the_field() -> None:
    with pytest.raises(BadRequest) as refused:
        parse_request(b'{"formulas": 5}', limits())

    assert refused.value.extra["errors"][0]["key"].startswith("formulas")
