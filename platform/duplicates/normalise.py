"""How values are normalised before they are compared, in Python and in SQL alike.

Text is trimmed and lower-cased; a phone number keeps its digits only. The SQL
expressions give the same result in SQLite and PostgreSQL for ASCII text; the blocks
of a scan and the candidates of a save are found with the SQL form, so both agree.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType

#: Field types compared as text (trimmed, lower-cased).
TEXT_TYPES = frozenset({FieldType.STRING, FieldType.TEXT, FieldType.EMAIL, FieldType.URL})
#: Field types whose normalised value is text (an empty text counts as no value).
COMPARED_AS_TEXT = TEXT_TYPES | {FieldType.PHONE}
#: Characters a phone number may carry besides its digits (removed in SQL).
PHONE_MARKS = (" ", "-", "(", ")", ".", "/", "+")
_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")


def normalise(value: Any, kind: FieldType) -> Any:
    """The comparable form of ``value``: None for an empty value."""
    if value is None:
        return None
    if kind == FieldType.PHONE:
        digits = _NOT_DIGIT.sub("", str(value))
        return digits or None
    if kind in TEXT_TYPES:
        text = _SPACES.sub(" ", str(value)).strip().lower()
        return text or None
    return value


def name_text(values: list[Any]) -> str:
    """Text of fuzzy-compared values: accents dropped, lower-case, words sorted."""
    joined = " ".join(str(v) for v in values if v is not None)
    plain = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())
    return " ".join(sorted(words))


def normalised_sql(expr: sa.ColumnElement[Any], kind: FieldType) -> sa.ColumnElement[Any]:
    """The SQL form of :func:`normalise` over ``expr`` (a column or a bound value)."""
    if kind == FieldType.PHONE:
        out: sa.ColumnElement[Any] = sa.cast(expr, sa.String())
        for mark in PHONE_MARKS:
            out = sa.func.replace(out, mark, "")
        return out
    if kind in TEXT_TYPES:
        return sa.func.lower(sa.func.trim(sa.cast(expr, sa.String())))
    return expr


def key_sql(
    expr: sa.ColumnElement[Any], kind: FieldType, prefix: int | None
) -> sa.ColumnElement[Any]:
    """A blocking key's SQL: the normalised value, or its first ``prefix`` characters."""
    out = normalised_sql(expr, kind)
    if prefix is not None:
        return sa.func.substr(sa.cast(out, sa.String()), 1, prefix)
    return out


__all__ = [
    "COMPARED_AS_TEXT",
    "PHONE_MARKS",
    "TEXT_TYPES",
    "key_sql",
    "name_text",
    "normalise",
    "normalised_sql",
]
