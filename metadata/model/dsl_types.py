"""The value types the rule language knows, shared by metadata and rules."""

from __future__ import annotations

from enum import Enum


class DslType(Enum):
    """Type of a value in an expression."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"
    JSON = "json"
    REFERENCE = "reference"
    NULL = "null"
    ANY = "any"

    def __str__(self) -> str:
        return self.value
