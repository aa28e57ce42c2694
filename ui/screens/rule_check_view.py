"""What the rules editor shows of a check: the text with its errors underlined, and completions.

The checker gives each problem a 1-based line and column; the span underlined is the
word, number or quoted text starting there (one character otherwise, a blank mark at
the end of the text). The page renders the pieces as plain markup (``<mark>``), so no
style or script is inlined (CSP).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trellis.rules.editor import EditorReport, cursor_offset

_WORD = re.compile(r"[A-Za-z0-9_.]+")
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"?')
_MAX_COMPLETIONS = 40


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of the checked text; ``problem`` is the 1-based number of its error, or 0."""

    text: str
    problem: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """A word that may come at the cursor and what it is (field, function, keyword, …)."""

    word: str
    kind: str


def _extent(source: str, start: int) -> int:
    """Where the span starting at ``start`` ends."""
    if start >= len(source):
        return start
    for pattern in (_QUOTED, _WORD):
        found = pattern.match(source, start)
        if found and found.end() > start:
            return found.end()
    return start + 1


def underlined(source: str, errors: list[dict[str, Any]]) -> list[Piece]:
    """``source`` cut into pieces, each error's span its own (overlaps keep the first)."""
    spans: list[tuple[int, int, int]] = []
    for number, error in enumerate(errors, start=1):
        start = cursor_offset(source, int(error.get("line") or 1), int(error.get("column") or 1))
        spans.append((start, _extent(source, start), number))
    pieces: list[Piece] = []
    at = 0
    for start, end, number in sorted(spans):
        if start < at:
            continue
        if start > at:
            pieces.append(Piece(source[at:start]))
        # A problem at the very end (a missing word) is marked by a blank.
        pieces.append(Piece(source[start:end] or " ", number))
        at = max(end, start)
    if at < len(source):
        pieces.append(Piece(source[at:]))
    return pieces


def completions(report: EditorReport) -> list[Completion]:
    """What may be typed at the cursor: fields, functions, then keywords and the rest."""
    found: list[Completion] = []
    seen: set[str] = set()
    groups = (
        ("field", report.fields),
        ("function", report.functions),
        ("entity", report.entities),
        ("name", report.names),
        ("value", report.values),
        ("keyword", [t for t in report.tokens if t[:1].isalpha()]),
        ("operator", [t for t in report.tokens if not t[:1].isalpha()]),
    )
    for kind, words in groups:
        for word in words:
            if word not in seen:
                seen.add(word)
                found.append(Completion(word, kind))
    return found[:_MAX_COMPLETIONS]


def cursor_of(source: str, raw: str) -> int | None:
    """The posted cursor offset (None: the end of the text)."""
    text = raw.strip()
    return min(int(text), len(source)) if text.isdigit() else None


__all__ = ["Completion", "Piece", "completions", "cursor_of", "underlined"]
