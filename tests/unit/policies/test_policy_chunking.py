"""Normalising extracted text and splitting it by headings and paragraphs with overlap."""

from __future__ import annotations

import pytest

from sheetbrain.policies.chunking import (
    OVERLAP_TOKENS,
    TARGET_TOKENS,
    Chunk,
    estimate_tokens,
    normalise,
    split_into_chunks,
)
from sheetbrain.policies.service import content_hash, derive_title


def _words(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{index}" for index in range(count))


def test_normalise_unifies_newlines_spaces_and_blank_lines() -> None:
    raw = "\ufeffTitle\r\n\r\n\r\n\r\nLine   one\t\ttabs  \rLine\u200b two\u00a0x\n\n\n"

    assert normalise(raw) == "Title\n\nLine one tabs\nLine two x"


def test_normalise_applies_nfkc() -> None:
    assert normalise("ﬁle ①") == "file 1"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("one two three", 4),  # 3 words * 4/3 = 4 > 13 chars / 4
        ("=VLOOKUP(B2,Sheet1!A:B,2,FALSE)", 8),  # 1 word, 31 chars / 4 -> 8
        ("a", 2),
    ],
)
def test_estimate_tokens_takes_the_larger_of_words_and_characters(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_defaults_are_800_tokens_with_100_overlap() -> None:
    assert (TARGET_TOKENS, OVERLAP_TOKENS) == (800, 100)


def test_a_short_text_is_one_chunk() -> None:
    assert split_into_chunks("Use IFERROR on outputs.") == [
        Chunk("Use IFERROR on outputs.", estimate_tokens("Use IFERROR on outputs."))
    ]


def test_empty_text_gives_no_chunk() -> None:
    assert split_into_chunks("") == []


def test_every_heading_starts_a_new_chunk() -> None:
    text = "# Lookups\nUse exact match.\n\n## Volatile\nAvoid NOW().\n\nKeep inputs apart."

    contents = [chunk.content for chunk in split_into_chunks(text)]

    assert contents == [
        "# Lookups\nUse exact match.",
        "## Volatile\nAvoid NOW().\n\nKeep inputs apart.",
    ]


def test_consecutive_headings_stay_with_the_first_paragraph() -> None:
    contents = [c.content for c in split_into_chunks("# Policy\n\n## Scope\n\nAll sheets.")]

    assert contents == ["# Policy\n## Scope\nAll sheets."]


def test_paragraphs_are_packed_until_the_budget_and_never_split_when_they_fit() -> None:
    paragraphs = [_words(f"p{n}w", 30) for n in range(4)]  # 40 tokens each

    chunks = split_into_chunks("\n\n".join(paragraphs), max_tokens=100, overlap_tokens=0)

    assert [chunk.content for chunk in chunks] == [
        f"{paragraphs[0]}\n\n{paragraphs[1]}",
        f"{paragraphs[2]}\n\n{paragraphs[3]}",
    ]


def test_a_spilled_chunk_starts_with_the_tail_of_the_previous_one() -> None:
    paragraphs = [_words(f"p{n}w", 30) for n in range(3)]

    chunks = split_into_chunks("\n\n".join(paragraphs), max_tokens=100, overlap_tokens=20)

    # 13 five-letter words: 77 characters -> 20 tokens; a 14th would make it 22
    tail = " ".join(f"p0w{n}" for n in range(17, 30))
    assert len(chunks) == 3
    assert chunks[1].content == f"{tail} {paragraphs[1]}"
    assert chunks[2].content.startswith("p1w17 ")


def test_overlap_never_crosses_a_heading() -> None:
    text = f"# A\n{_words('a', 100)}\n\n# B\nshort"

    chunks = split_into_chunks(text, max_tokens=100, overlap_tokens=20)

    assert chunks[-1].content == "# B\nshort"


def test_a_paragraph_too_long_is_split_by_sentences() -> None:
    sentences = [f"{_words(f's{n}w', 20)}." for n in range(6)]  # 27 tokens each

    chunks = split_into_chunks(" ".join(sentences), max_tokens=60, overlap_tokens=0)

    assert [chunk.content for chunk in chunks] == [
        f"{sentences[0]} {sentences[1]}",
        f"{sentences[2]} {sentences[3]}",
        f"{sentences[4]} {sentences[5]}",
    ]


def test_no_chunk_exceeds_the_budget_even_for_one_long_word() -> None:
    text = "x" * 5000 + " " + _words("w", 2000)

    chunks = split_into_chunks(text, max_tokens=100, overlap_tokens=10)

    assert max(chunk.token_count for chunk in chunks) <= 100
    assert "".join(c.content for c in chunks).count("x") >= 5000


def test_token_counts_are_the_estimates_of_the_contents() -> None:
    chunks = split_into_chunks(_words("w", 3000))

    assert [c.token_count for c in chunks] == [estimate_tokens(c.content) for c in chunks]
    assert all(c.token_count <= TARGET_TOKENS for c in chunks)


def test_overlap_must_be_smaller_than_the_chunk() -> None:
    with pytest.raises(ValueError, match="overlap_tokens"):
        split_into_chunks("text", max_tokens=10, overlap_tokens=10)


def test_content_hash_is_the_sha256_of_the_text() -> None:
    assert content_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize(
    ("title", "filename", "expected"),
    [
        ("  Given  ", "file.pdf", "Given"),
        (None, "C:\\Policies\\Data rules.pdf", "Data rules"),
        ("", "README", "README"),
        (None, None, "Lookup policy"),
    ],
)
def test_the_title_is_given_else_the_file_stem_else_the_first_line(
    title: str | None, filename: str | None, expected: str
) -> None:
    assert derive_title(title, filename, "# Lookup policy\nText") == expected
