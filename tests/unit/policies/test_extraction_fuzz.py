"""Damaged documents give text or a clean 4xx error, never a crash or a hang."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetbrain.errors import AppError
from sheetbrain.policies.extract import DocumentKind, detect_kind, extract_text
from support.documents import docx_with, pdf_with_text

pytestmark = pytest.mark.fuzz

HANG_SECONDS = 10
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PDF = pdf_with_text("Use IFERROR around every lookup.", "Avoid volatile functions.")
DOCX = docx_with("Named ranges over absolute references.")


def mutations(original: bytes) -> st.SearchStrategy[bytes]:
    """Truncations, byte flips and garbage splices of a real document."""
    length = len(original)
    truncated = st.integers(0, length).map(lambda cut: original[:cut])
    flipped = st.lists(st.tuples(st.integers(0, length - 1), st.integers(0, 255)), max_size=20).map(
        lambda flips: _flip(original, flips)
    )
    spliced = st.tuples(st.integers(0, length), st.binary(max_size=200)).map(
        lambda cut: original[: cut[0]] + cut[1] + original[cut[0] :]
    )
    return st.one_of(truncated, flipped, spliced, st.binary(max_size=2000))


def _flip(original: bytes, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(original)
    for position, value in flips:
        data[position] = value
    return bytes(data)


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: a parser caught in a loop is a bug, not a slow input."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"extraction still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def extraction_status(data: bytes, filename: str) -> int:
    """200 with text, or the 4xx status the API would answer."""
    with hang_guard(HANG_SECONDS):
        try:
            text = extract_text(data, detect_kind(data, filename), filename)
        except AppError as refused:
            return refused.status
    assert isinstance(text, str)
    return 200


def read_or_refused_cleanly(data: bytes, filename: str) -> None:
    status = extraction_status(data, filename)
    assert status == 200 or 400 <= status < 500


@FUZZ
@given(mutations(PDF))
def test_a_damaged_pdf_is_read_or_refused_cleanly(data: bytes) -> None:
    read_or_refused_cleanly(data, "policy.pdf")


@FUZZ
@given(mutations(DOCX))
def test_a_damaged_docx_is_read_or_refused_cleanly(data: bytes) -> None:
    read_or_refused_cleanly(data, "policy.docx")


def test_the_undamaged_documents_are_read() -> None:
    assert "IFERROR" in extract_text(PDF, DocumentKind.PDF)
    assert "Named ranges" in extract_text(DOCX, DocumentKind.DOCX)
