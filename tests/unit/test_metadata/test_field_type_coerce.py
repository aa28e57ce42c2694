"""Every field type has one spec whose ``coerce`` fits a value to the stored form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.metadata.loader._build import build_field
from trellis.metadata.loader.positions import PositionMap
from trellis.metadata.model import FIELD_TYPES, FieldDef, FieldType, FieldValueError, field_type
from trellis.metadata.model.ranges import INT64_MAX, INT64_MIN

FIELDS = {
    kind: FieldDef(
        f"f_{kind}",
        kind,
        kind.title(),
        options=("a", "b") if kind in (FieldType.ENUM, FieldType.MULTI_ENUM) else (),
    )
    for kind in FieldType
}

_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),  # NaN equals nothing, itself included
    st.decimals(allow_nan=False, allow_infinity=False, places=8),
    st.decimals(allow_nan=False),
)
_dates = st.one_of(st.dates(), st.datetimes(), st.dates().map(date.isoformat))
_datetimes = st.one_of(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5))])),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
)
_anything: st.SearchStrategy[Any] = st.one_of(
    _numbers,
    st.text(max_size=20),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _values(kind: FieldType) -> st.SearchStrategy[Any]:
    if kind == FieldType.DATE:
        return st.one_of(_dates, _anything)
    if kind == FieldType.DATETIME:
        return st.one_of(_datetimes, _anything)
    return _anything


def test_every_field_type_has_a_spec_with_a_coerce() -> None:
    assert set(FIELD_TYPES) == set(FieldType)
    for kind in FieldType:
        spec = field_type(kind)
        assert spec.name is kind
        assert field_type(kind.value) is spec
        assert callable(spec.coerce)


def test_the_loader_sets_the_enum_member() -> None:
    built = build_field("amount", {"type": "money"}, PositionMap("entities/deal.yaml", {}))
    assert built is not None
    assert built.type is FieldType.MONEY
    assert build_field("x", {"type": "monney"}, PositionMap("entities/deal.yaml", {})) is None


def test_field_type_values_are_the_yaml_names() -> None:
    assert FieldType("multi_enum") is FieldType.MULTI_ENUM
    assert f"{FieldType.MONEY}" == "money"
    assert FieldDef("n", "money", "N").type is FieldType.MONEY  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(FieldType), ids=str)
@given(data=st.data())
def test_coerce_is_idempotent_on_accepted_values(kind: FieldType, data: st.DataObject) -> None:
    f, coerce = FIELDS[kind], FIELD_TYPES[kind].coerce
    value = data.draw(_values(kind))
    try:
        once = coerce(value, f)
    except (ValueError, ArithmeticError, TypeError):
        return  # refused: the API reports it, a computed value becomes empty
    assert coerce(once, f) == once


def test_coerce_keeps_the_validation_messages() -> None:
    money, count = FIELDS[FieldType.MONEY], FIELDS[FieldType.INTEGER]
    with pytest.raises(FieldValueError, match=r"^Must be a number\.$"):
        FIELD_TYPES[FieldType.MONEY].coerce(True, money)
    with pytest.raises(FieldValueError, match=r"^Must be a finite number\.$"):
        FIELD_TYPES[FieldType.MONEY].coerce("NaN", money)
    with pytest.raises(ValueError, match=r"^Must be between -9223372036854775808 and "):
        FIELD_TYPES[FieldType.INTEGER].coerce(INT64_MAX + 1, count)
    with pytest.raises(ValueError, match=r"^Must be a whole number\.$"):
        FIELD_TYPES[FieldType.USER].coerce("7", FIELDS[FieldType.USER])
    assert FIELD_TYPES[FieldType.INTEGER].coerce(INT64_MIN, count) == INT64_MIN


def test_coerce_fits_expression_values() -> None:
    assert FIELD_TYPES[FieldType.MONEY].coerce("1.005", FIELDS[FieldType.MONEY]) == Decimal("1.01")
    assert FIELD_TYPES[FieldType.INTEGER].coerce(Decimal("-2.7"), FIELDS[FieldType.INTEGER]) == -2
    assert FIELD_TYPES[FieldType.STRING].coerce(Decimal("1.50"), FIELDS[FieldType.STRING]) == "1.50"
    stamp = datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=1)))
    assert FIELD_TYPES[FieldType.DATE].coerce(stamp, FIELDS[FieldType.DATE]) == date(2026, 1, 2)
    assert FIELD_TYPES[FieldType.DATETIME].coerce(
        "2026-01-02T03:04:00+01:00", FIELDS[FieldType.DATETIME]
    ) == stamp.astimezone(UTC)
    assert FIELD_TYPES[FieldType.BOOLEAN].coerce(True, FIELDS[FieldType.BOOLEAN]) is True
    assert FIELD_TYPES[FieldType.TAGS].coerce(["x"], FIELDS[FieldType.TAGS]) == ["x"]


def test_spec_groups() -> None:
    numeric = {k for k in FieldType if FIELD_TYPES[k].numeric}
    whole = {k for k in FieldType if FIELD_TYPES[k].whole}
    assert numeric == {FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY, FieldType.PERCENT}
    assert whole == {FieldType.INTEGER, FieldType.REFERENCE, FieldType.USER}
