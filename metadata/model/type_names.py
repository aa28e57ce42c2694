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
    #: Ids of records of another entity, kept in a link table (issue 14).
    MANY_TO_MANY = "many_to_many"
    #: A record of one of the entities in ``targets``, stored as ``entity:id`` text.
    ANY_REFERENCE = "any_reference"
    RICH_TEXT = "rich_text"
    FILE = "file"


__all__ = ["FieldType"]
