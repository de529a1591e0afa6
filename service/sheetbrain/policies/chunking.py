"""Normalise extracted text and split it into retrieval-sized chunks.

Tokens are estimated, not counted (no tokenizer dependency): English prose averages
about 0.75 words and 4 characters per token, so a text is taken to cost
max(ceil(words * 4/3), ceil(characters / 4)) tokens; the larger of the two keeps dense
text (formulas, numbers, long identifiers) from being underestimated. The database
holds the same rule, `private.estimate_tokens` (it sizes the default policies' chunks):
`estimate_tokens` below is its one mirror, and tests/db/test_token_estimate.py holds the
two to the same answers.

Splitting: a markdown heading (`#` .. `######`, which DOCX headings become) starts a
new section and a new chunk. Within a section, paragraphs are packed greedily up to
`max_tokens`; a paragraph too long on its own is split by sentences, and a sentence
too long on its own by words. When a section spills over into another chunk, that
chunk starts with the last `overlap_tokens` worth of words of the previous one, so a
rule cut in half is still found whole in one of them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

TARGET_TOKENS = 800
OVERLAP_TOKENS = 100

_HEADING = re.compile(r"^#{1,6}\s+\S")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n")
# C0/C1 control characters except tab and newline, and zero-width characters.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Chunk:
    content: str
    token_count: int


def normalise(text: str) -> str:
    """NFKC, unix newlines, no invisible characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def estimate_tokens(text: str) -> int:
    """SQL's `private.estimate_tokens(text)`, in Python: words are runs of
    non-whitespace, characters are code points."""
    return _tokens(len(text.split()), len(text))


def _tokens(words: int, characters: int) -> int:
    return max(math.ceil(words * 4 / 3), math.ceil(characters / 4))


def split_into_chunks(
    text: str, max_tokens: int = TARGET_TOKENS, overlap_tokens: int = OVERLAP_TOKENS
) -> list[Chunk]:
    """Chunks of normalised `text` in document order; empty text gives no chunk."""
    if not 0 <= overlap_tokens < max_tokens - 1:
        raise ValueError("overlap_tokens must be at least 0 and below max_tokens - 1")
    chunks: list[Chunk] = []
    for section in _sections(text):
        # one token of slack: joining the overlap adds a space to the estimate
        pieces = _pack(section, max_tokens - overlap_tokens - 1)
        for index, piece in enumerate(pieces):
            content = piece
            if index > 0 and overlap_tokens:
                content = f"{_tail(pieces[index - 1], overlap_tokens)} {piece}".lstrip()
            chunks.append(Chunk(content, estimate_tokens(content)))
    return chunks


def _sections(text: str) -> Iterator[list[str]]:
    """Paragraph lists, a new one at each heading; headings lead their first paragraph."""
    section: list[str] = []
    headings: list[str] = []  # headings not yet attached to a paragraph
    for paragraph in _PARAGRAPH_BREAK.split(text):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            if _HEADING.match(line):
                if lines:
                    section.append("\n".join([*headings, *lines]))
                    headings, lines = [], []
                if section:
                    yield section
                    section = []
                headings.append(line)
            elif line:
                lines.append(line)
        if lines:
            section.append("\n".join([*headings, *lines]))
            headings = []
    if headings:
        section.append("\n".join(headings))
    if section:
        yield section


def _pack(paragraphs: list[str], budget: int) -> list[str]:
    """Greedy: as many whole paragraphs per piece as fit in `budget` tokens."""
    units = [unit for paragraph in paragraphs for unit in _fitting_units(paragraph, budget)]
    return _join_greedily(units, "\n\n", budget)


def _fitting_units(paragraph: str, budget: int) -> list[str]:
    if estimate_tokens(paragraph) <= budget:
        return [paragraph]
    units: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        if estimate_tokens(sentence) <= budget:
            units.append(sentence)
        else:
            units.extend(piece for word in sentence.split() for piece in _slices(word, budget * 4))
    return _join_greedily([unit for unit in units if unit], " ", budget)


def _slices(word: str, size: int) -> list[str]:
    """A "word" longer than a chunk (a pasted blob) cut into chunk-sized pieces."""
    return [word[start : start + size] for start in range(0, len(word), size)]


def _join_greedily(units: list[str], separator: str, budget: int) -> list[str]:
    """Joins consecutive units while the estimate stays within budget (counts kept running)."""
    groups: list[str] = []
    current: list[str] = []
    words = characters = 0
    for unit in units:
        unit_words, unit_characters = len(unit.split()), len(unit)
        joined_characters = characters + len(separator) + unit_characters
        if current and _tokens(words + unit_words, joined_characters) > budget:
            groups.append(separator.join(current))
            current, words, characters = [], 0, 0
            joined_characters = unit_characters
        current.append(unit)
        words += unit_words
        characters = joined_characters if len(current) > 1 else unit_characters
    if current:
        groups.append(separator.join(current))
    return groups


def _tail(text: str, budget: int) -> str:
    """The last words of `text` whose estimate fits in `budget` tokens."""
    words = text.split()
    taken: list[str] = []
    characters = 0
    for word in reversed(words):
        added = len(word) + (1 if taken else 0)
        if _tokens(len(taken) + 1, characters + added) > budget:
            break
        taken.append(word)
        characters += added
    return " ".join(reversed(taken))
