"""The token estimate is one rule: SQL's private.estimate_tokens and Python's agree."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from sheetbrain.policies.chunking import estimate_tokens, normalise, split_into_chunks

pytestmark = pytest.mark.db

TEXTS = [
    "",
    "VLOOKUP",
    "Every VLOOKUP must pass FALSE as its last argument.",
    '=IFERROR(VLOOKUP(A2,Sheet2!$A$1:$D$5000,4,FALSE),"missing")',
    "  Lines\nwith\ttabs,   runs of  spaces\n\nand blank lines  ",
    normalise("# Heading\r\n\r\nNon\u00a0breaking\u2003spaces and ﬁ ligatures."),
]


@pytest.mark.parametrize("text", TEXTS)
def test_sql_and_python_estimate_a_text_alike(db: psycopg.Connection[Any], text: str) -> None:
    row = db.execute("select private.estimate_tokens(%s)", (text,)).fetchone()

    assert row == (estimate_tokens(text),)


def test_sql_and_python_estimate_every_chunk_of_a_long_policy_alike(
    db: psycopg.Connection[Any],
) -> None:
    paragraph = "Totals must sum their column with SUM, never by hand. " * 60
    chunks = split_into_chunks(normalise("\n\n".join([paragraph] * 5)))
    contents = [chunk.content for chunk in chunks]

    rows = db.execute(
        "select private.estimate_tokens(c) from unnest(%s::text[]) with ordinality as u(c, n)"
        " order by n",
        (contents,),
    ).fetchall()

    assert [row[0] for row in rows] == [chunk.token_count for chunk in chunks]
