"""Parsing of request parts and numbers: depth, sizes, versions, parameters, ranges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trellis.metadata.model import EntityDef, FieldDef
from trellis.metadata.model.field_types import FIELD_TYPES, storable_range, value_range
from trellis.platform.api.hygiene import is_json_media_type
from trellis.platform.api.requests import (
    MAX_JSON_DEPTH,
    PayloadTooLargeError,
    body_version,
    check_query_params,
    parse_if_match,
    parse_json,
)
from trellis.platform.authz.read_paths import parse_words
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.validation import RecordValidator
from trellis.platform.records.values import float_precision_errors, to_decimal, to_integer

MONEY = FieldDef("amount", "money", "Amount")
PERCENT = FieldDef("share", "percent", "Share", max=Decimal(50))
COUNT = FieldDef("count", "integer", "Count", min=Decimal(0))


def test_json_depth_is_bounded_at_parse_time() -> None:
    deepest = parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    for _ in range(MAX_JSON_DEPTH - 1):
        deepest = deepest[0]
    assert deepest == []
    for depth in (MAX_JSON_DEPTH + 1, 1_000, 100_000):
        with pytest.raises(BadRequestError) as caught:
            parse_json(b"[" * depth + b"]" * depth)
        assert caught.value.status == 400
        assert "nested more than 64 levels" in caught.value.errors["__all__"][0]
    wide = b"[" + b",".join([b"[[1]]"] * 5_000) + b"]"  # many brackets, shallow
    assert len(parse_json(wide)) == 5_000


def test_json_body_over_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        parse_json(b'"' + b"x" * (5 * 1024 * 1024) + b'"')
    assert caught.value.status == 413


def test_json_number_too_large_to_read_is_400() -> None:
    with pytest.raises(BadRequestError):
        parse_json(b"1" + b"0" * 5_000)


def test_if_match_and_body_version_are_bounded() -> None:
    assert parse_if_match('"3"') == 3
    assert parse_if_match('W/"12"') == 12
    assert parse_if_match(None) is None
    for header in ("9" * 5_000, "9" * 19, '"' + "1" * 20 + '"', "abc"):
        with pytest.raises(BadRequestError):
            parse_if_match(header)
    for value in (-1, 2**63, True, "3"):
        with pytest.raises(BadRequestError):
            body_version({"version": value})


def test_unknown_query_parameter_names_it_with_a_hint() -> None:
    allowed = frozenset({"filter", "sort", "expand"})
    check_query_params({"filter": "x", "sort": "name", "expand": "owner"}, allowed)
    with pytest.raises(BadRequestError) as caught:
        check_query_params({"sotr": "name"}, allowed)
    assert "did you mean 'sort'" in caught.value.errors["sotr"][0]
    with pytest.raises(BadRequestError) as long_name:
        check_query_params({"x" * 10_000: "1"}, allowed)
    assert all(len(key) <= 41 for key in long_name.value.errors)


def test_search_text_with_nul_is_400() -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_words("a\x00b", required=True)
    assert caught.value.errors == {"q": ["The search text must not contain NUL characters."]}


def test_json_media_types() -> None:
    accepted = ["application/json", "application/json; charset=utf-8", "application/vnd.x+json"]
    refused = ["", "text/plain", "application/jsonx", "text/json", "multipart/form-data"]
    assert all(is_json_media_type(t) for t in accepted)
    assert not any(is_json_media_type(t) for t in refused)


def test_storable_ranges_follow_the_columns() -> None:
    top = Decimal("999999999999999999.99")
    assert storable_range(MONEY) == (-top, top)
    assert value_range(PERCENT) == (0, 50)
    assert value_range(COUNT) == (0, 2**63 - 1)
    ratio = FieldDef("ratio", "decimal", "Ratio", scale=12)
    assert storable_range(ratio) == (
        -Decimal("999999999999.999999999999"),
        Decimal("999999999999.999999999999"),
    )
    schema = FIELD_TYPES["money"].json_schema(MONEY)
    assert (schema["exclusiveMinimum"], schema["exclusiveMaximum"]) == (-(10**18), 10**18)
    assert FIELD_TYPES["percent"].json_schema(PERCENT)["maximum"] == 50
    assert FIELD_TYPES["integer"].json_schema(COUNT) == {
        "type": "integer",
        "minimum": 0,
        "maximum": 2**63 - 1,
    }


def test_to_decimal_refuses_values_beyond_the_column() -> None:
    assert to_decimal("999999999999999999.994", MONEY) == Decimal("999999999999999999.99")
    for value in ("999999999999999999.995", 1e26, "1" + "0" * 27, 10**400, "1e999999999"):
        with pytest.raises(ValueError, match="Must be between"):
            to_decimal(value, MONEY)
    with pytest.raises(ValueError, match="Must be between 0 and 50"):
        to_decimal(101, PERCENT)
    with pytest.raises(ValueError, match="Must be a number"):
        to_decimal(True, MONEY)


def test_to_integer_keeps_to_bigint() -> None:
    assert to_integer(5.0, COUNT) == 5
    assert to_integer(2**63 - 1, COUNT) == 2**63 - 1
    for value in (2**63, 9.3e18, -(2**63) - 1, Decimal("1e60")):
        with pytest.raises(ValueError, match="Must be between"):
            to_integer(value, COUNT)
    for value in (1.5, float("inf"), True, "3"):
        with pytest.raises(ValueError, match="whole number"):
            to_integer(value, COUNT)


def test_sqlite_precision_limit_counts_significant_digits() -> None:
    fields = {"amount": MONEY}
    assert float_precision_errors(fields, {"amount": Decimal("1234567890123.45")}) == {}
    assert float_precision_errors(fields, {"amount": Decimal("100000000000000000.00")}) == {}
    errors = float_precision_errors(fields, {"amount": Decimal("1234567890123456.78")})
    assert "15 significant digits" in errors["amount"][0]


def test_validator_names_the_range_and_refuses_nul() -> None:
    entity = EntityDef(
        name="item",
        label="Item",
        plural_label="Items",
        fields={
            "amount": MONEY,
            "count": FieldDef("count", "integer", "Count"),
            "note": FieldDef("note", "text", "Note"),
            "extra": FieldDef("extra", "json", "Extra"),
        },
    )
    validator = RecordValidator(entity)
    values, errors = validator.check(
        {"amount": "1" + "0" * 30, "count": 2**64, "note": "a\x00", "extra": {"k": ["\x00"]}}
    )
    assert values == {}
    assert errors == {
        "amount": ["Must be between -999999999999999999.99 and 999999999999999999.99."],
        "count": ["Must be between -9223372036854775808 and 9223372036854775807."],
        "note": ["Text must not contain NUL characters."],
        "extra": ["Text must not contain NUL characters."],
    }
