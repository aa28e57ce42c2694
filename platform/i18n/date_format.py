"""Dates per locale, fast: the CLDR pattern compiled once into a list of parts.

Babel's ``format_date`` walks its pattern on every call; a list screen formats a date
per row. Patterns made only of day, month and year fields and quoted or literal text
(every ``short``/``medium``/``long`` date pattern of the shipped locales) are compiled
here once; any other pattern falls back to Babel. A property test keeps both equal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache

from babel import dates
from babel.core import Locale

Part = Callable[[dt.date], str]
_TOKEN = re.compile(r"'([^']*)'|(d{1,2}|M{1,4}|L{1,4}|y+)|([^'A-Za-z]+)")


def _field(token: str, loc: Locale) -> Part | None:
    kind, width = token[0], len(token)
    if kind == "d":
        return (lambda d: str(d.day)) if width == 1 else (lambda d: f"{d.day:02d}")
    if kind == "y":
        if width == 2:
            return lambda d: f"{d.year % 100:02d}"
        return lambda d: str(d.year).rjust(width, "0")
    context = "format" if kind == "M" else "stand-alone"
    if width <= 2:
        return (lambda d: str(d.month)) if width == 1 else (lambda d: f"{d.month:02d}")
    names = loc.months[context]["abbreviated" if width == 3 else "wide"]
    return (lambda d: names[d.month]) if width in (3, 4) else None


def _literal(text: str) -> Part:
    return lambda _d: text


@cache
def compiled_date(locale: str, form: str) -> tuple[Part, ...] | None:
    """The parts of ``locale``'s ``form`` date pattern, or None when Babel must format."""
    loc = Locale.parse(locale)
    pattern = dates.get_date_format(form, locale=loc).pattern  # type: ignore[arg-type]
    parts: list[Part] = []
    position = 0
    for match in _TOKEN.finditer(pattern):
        if match.start() != position:
            return None
        position = match.end()
        quoted, token, literal = match.groups()
        if token is not None:
            part = _field(token, loc)
            if part is None:
                return None
            parts.append(part)
        else:
            text = (quoted if quoted else "'") if quoted is not None else literal
            parts.append(_literal(text))
    return tuple(parts) if position == len(pattern) else None


def format_date(value: dt.date, form: str, locale: str) -> str:
    """``value`` as ``locale`` writes a ``form`` date (``3 dic 2026``, ``Dec 3, 2026``)."""
    parts = compiled_date(locale, form)
    if parts is None:
        return dates.format_date(value, format=form, locale=locale)  # type: ignore[arg-type]
    return "".join(part(value) for part in parts)


__all__ = ["compiled_date", "format_date"]
