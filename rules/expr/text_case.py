"""Case mapping shared by closures and SQL: Unicode simple case mapping, per character.

``lower()``, ``upper()`` and the case-insensitive operators (``contains``,
``starts_with``, ``ends_with``, list membership) map each character to one
character, as PostgreSQL's ``lower``/``upper`` do on a UTF-8 database. Python's
``str.lower`` uses the *full* mapping instead (``"ß".upper() == "SS"``,
``"İ".lower() == "i̇"``, a final sigma becomes ``ς``), and SQLite's built-in
``lower`` only maps ASCII; so closures use :func:`fold_lower` and SQLite
connections get the same functions as ``trellis_lower``/``trellis_upper``
(:func:`install_sqlite_functions`, called for every platform SQLite connection).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from trellis.rules.expr.hashing import install_hash_function

#: The one character whose simple lowercase is not its full lowercase's only letter.
_SIMPLE_LOWER = {"\u0130": "i"}
SQLITE_LOWER = "trellis_lower"
SQLITE_UPPER = "trellis_upper"


@cache
def _lower_char(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else _SIMPLE_LOWER.get(ch, ch)


@cache
def _upper_char(ch: str) -> str:
    up = ch.upper()
    if len(up) == 1:
        return up
    # Where the full mapping has several letters (U+1FB3 -> U+0391 U+0399), the simple
    # one is the titlecase letter when that is a single one (U+1FBC); else none ("ß").
    title = ch.title()
    return title if len(title) == 1 else ch


def fold_lower(text: str) -> str:
    """``text`` in lowercase by simple case mapping (length never changes)."""
    if text.isascii():
        return text.lower()
    return "".join(map(_lower_char, text))


def fold_upper(text: str) -> str:
    """``text`` in uppercase by simple case mapping (length never changes)."""
    if text.isascii():
        return text.upper()
    return "".join(map(_upper_char, text))


def _nullable(fn: Any) -> Any:
    return lambda v: fn(v) if isinstance(v, str) else v


def install_sqlite_functions(dbapi_connection: Any) -> None:
    """Register ``trellis_lower``, ``trellis_upper`` and ``trellis_hash32`` on a sqlite3
    connection.

    Call it from the engine's ``connect`` event; rule SQL on SQLite uses them.
    """
    dbapi_connection.create_function(SQLITE_LOWER, 1, _nullable(fold_lower), deterministic=True)
    dbapi_connection.create_function(SQLITE_UPPER, 1, _nullable(fold_upper), deterministic=True)
    install_hash_function(dbapi_connection)


__all__ = ["SQLITE_LOWER", "SQLITE_UPPER", "fold_lower", "fold_upper", "install_sqlite_functions"]
