"""The names of the field types, as written in the YAML of an app package."""

from __future__ import annotations

import enum


class FieldType(enum.StrEnum):
    """One supported field type; the value is its YAML spelling (``type: money``)."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    PERCENT = "percent"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    ENUM = "enum"
    MULTI_ENUM = "multi_enum"
    TAGS = "tags"
    REFERENCE = "reference"
    USER = "user"
    PIPELINE = "pipeline"
    JSON = "json"
    AUTONUMBER = "autonumber"
    FILE = "file"


__all__ = ["FieldType"]
