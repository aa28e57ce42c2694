"""Converting stored values to a field's new type (platform/drafts/conversion.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from trellis.metadata.model import FieldDef, FieldType
from trellis.metadata.model.coerce import FieldValueError
from trellis.platform.drafts.conversion import converter, shown, type_changed
from trellis.platform.imports.convert import CellError


def _field(kind: FieldType, **extra: Any) -> FieldDef:
    return FieldDef(name="value", type=kind, label="Value", **extra)


@pytest.mark.parametrize(
    ("kind", "extra", "stored", "expected"),
    [
        (FieldType.INTEGER, {}, "007", 7),
        (FieldType.INTEGER, {}, Decimal("12"), 12),
        (FieldType.DECIMAL, {"scale": 2}, "1.005", Decimal("1.01")),
        (FieldType.BOOLEAN, {}, "yes", True),
        (FieldType.DATE, {}, "2026-01-31", date(2026, 1, 31)),
        (FieldType.STRING, {}, 42, "42"),
        (FieldType.STRING, {}, date(2026, 1, 31), "2026-01-31"),
        (FieldType.ENUM, {"options": ("small", "large")}, "Large", "large"),
        (FieldType.TAGS, {}, "a; b", ["a", "b"]),
    ],
)
def test_values_that_convert(
    kind: FieldType, extra: dict[str, Any], stored: Any, expected: Any
) -> None:
    assert converter(_field(kind, **extra))(stored) == expected


@pytest.mark.parametrize(
    ("kind", "extra", "stored", "message"),
    [
        (FieldType.INTEGER, {}, "abc", "'abc' is not a whole number."),
        (FieldType.INTEGER, {}, "1.5", "'1.5' is not a whole number."),
        (FieldType.DECIMAL, {}, "1,5", "'1,5' is not a number (write it as 1234.56)."),
        (FieldType.DATE, {}, "31/01/2026", "'31/01/2026' is not a date in the format YYYY-MM-DD."),
        (FieldType.BOOLEAN, {}, "maybe", "'maybe' is not yes or no (true/false, 1/0)."),
        (FieldType.STRING, {"max_length": 3}, "abcd", "Longer than 3 characters."),
        (FieldType.ENUM, {"options": ("small",)}, "huge", "'huge' is not an option of value"),
        (
            FieldType.REFERENCE,
            {"to": "item"},
            "12",
            "Stored values cannot be converted to reference.",
        ),
    ],
)
def test_values_that_do_not_convert_say_why(
    kind: FieldType, extra: dict[str, Any], stored: Any, message: str
) -> None:
    with pytest.raises((CellError, FieldValueError)) as caught:
        converter(_field(kind, **extra))(stored)
    assert str(caught.value.args[0]).startswith(message)


def test_shown_and_type_changed() -> None:
    assert shown(Decimal("1.50")) == "1.50"
    assert shown(["a", "b"]) == "a; b"
    assert shown(False) == "false"
    text, number = _field(FieldType.STRING), _field(FieldType.INTEGER)
    assert type_changed(text, number)
    assert not type_changed(text, _field(FieldType.STRING, max_length=3))
    assert not type_changed(text, _field(FieldType.INTEGER, formula="1 + 1"))
