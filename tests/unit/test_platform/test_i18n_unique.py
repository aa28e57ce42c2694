"""Each message id (within its context) appears once in each shipped catalogue: entries
are appended by hand, and a second entry for the same id would silently win over the
first."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

LOCALES = Path(__file__).resolve().parents[3] / "platform/i18n/locales"


def _entries(text: str) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of each entry, joining continued lines; the header is skipped."""
    found: list[tuple[str | None, str]] = []
    context: str | None = None
    current: list[str] | None = None
    for line in [*text.splitlines(), ""]:
        if current is not None and line.startswith('"'):
            current.append(line[1:-1])
            continue
        if current is not None:
            if "".join(current):
                found.append((context, "".join(current)))
            current, context = None, None
        if line.startswith("msgctxt "):
            context = line[len("msgctxt ") + 1 : -1]
        elif line.startswith("msgid "):
            current = [line[len("msgid ") + 1 : -1]]
    return found


@pytest.mark.parametrize("locale", ["en", "es"])
def test_no_message_id_is_listed_twice(locale: str) -> None:
    text = (LOCALES / locale / "LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    entries = _entries(text)
    assert len(entries) > 1000
    twice = sorted(str(key) for key, n in Counter(entries).items() if n > 1)
    assert twice == []


def test_the_reader_sees_contexts_and_continued_ids() -> None:
    text = 'msgid ""\nmsgstr ""\n\nmsgctxt "c"\nmsgid "a"\nmsgstr "x"\n\n'
    text += 'msgid ""\n"b"\n"c"\nmsgstr ""\n'
    assert _entries(text) == [("c", "a"), (None, "bc")]
    # The same id in another context is another entry; the same id twice is caught.
    twice = Counter(_entries(text + '\nmsgid "a"\nmsgstr "y"\n\nmsgid "a"\nmsgstr "z"\n'))
    assert (twice[("c", "a")], twice[(None, "a")]) == (1, 2)
