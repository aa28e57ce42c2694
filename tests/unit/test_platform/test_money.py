"""Money conversion: minor units, rate look-up, aggregates and their invariants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.platform.money import (
    Part,
    Rate,
    RateBook,
    RateError,
    convert_amount,
    convert_parts,
    minor_units,
    parse_rate,
    round_amount,
)
from trellis.platform.money.service import rates_from_csv

JAN, MAR, JUN = date(2026, 1, 1), date(2026, 3, 1), date(2026, 6, 1)
BOOK = RateBook(
    [
        Rate("EUR", "USD", JAN, Decimal("1.25")),
        Rate("EUR", "USD", JUN, Decimal("1.10")),
        Rate("EUR", "JPY", JAN, Decimal("160.5")),
        Rate("BHD", "EUR", MAR, Decimal("2.4")),
        Rate("GBP", "EUR", JAN, Decimal("1.2")),
    ],
    base="EUR",
)


@pytest.mark.parametrize(("code", "digits"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("BHD", 3)])
def test_minor_units_follow_iso_4217(code: str, digits: int) -> None:
    assert minor_units(code) == digits


def test_rounding_per_currency_minor_unit() -> None:
    # 10.01 EUR at 160.5 = 1606.605 JPY: yen have no minor unit.
    assert convert_amount(Decimal("10.01"), "EUR", "JPY", MAR, BOOK) == Decimal("1607")
    # 1 EUR in BHD = 1/2.4 = 0.41666… BHD: three places.
    assert convert_amount(Decimal("1"), "EUR", "BHD", MAR, BOOK) == Decimal("0.417")
    assert round_amount(Decimal("2.675"), "EUR") == Decimal("2.68")  # half up


def test_rate_on_a_date_is_the_newest_on_or_before_it() -> None:
    assert BOOK.rate("EUR", "USD", date(2026, 5, 31)) == Decimal("1.25")
    assert BOOK.rate("EUR", "USD", JUN) == Decimal("1.10")
    assert BOOK.rate("EUR", "USD", date(2025, 12, 31)) is None
    assert BOOK.rate("BHD", "EUR", date(2026, 2, 28)) is None


def test_inverse_and_cross_rates_go_through_the_base() -> None:
    assert BOOK.rate("USD", "EUR", MAR) == Decimal(1) / Decimal("1.25")
    # GBP -> USD: no rate between them; GBP -> EUR -> USD.
    assert BOOK.rate("GBP", "USD", MAR) == Decimal("1.2") * Decimal("1.25")
    assert BOOK.rate("GBP", "CHF", MAR) is None


def test_sum_in_several_currencies_never_adds_raw() -> None:
    parts = [
        Part("EUR", MAR, Decimal("60000"), 1),
        Part("USD", MAR, Decimal("1000"), 1),
        Part("CHF", MAR, Decimal("5"), 1),
    ]
    result = convert_parts(parts, "sum", BOOK)
    assert result.value == Decimal("60800.00") and result.currency == "EUR"
    assert [m.sentence() for m in result.missing] == [
        "No exchange rate from CHF to EUR on or before 2026-03-01."
    ]
    assert result.count == 2


def test_without_a_base_one_currency_sums_and_a_mix_is_missing() -> None:
    book = RateBook([], base=None)
    same = convert_parts([Part("USD", MAR, Decimal("1"), 1)] * 2, "sum", book)
    assert (same.value, same.currency, same.missing) == (Decimal("2.00"), "USD", ())
    mixed = convert_parts(
        [Part("USD", MAR, Decimal("1"), 1), Part("EUR", MAR, Decimal("1"), 1)], "sum", book
    )
    assert mixed.missing and mixed.missing[0].target is None
    assert "No base currency is declared" in mixed.missing[0].sentence()


def test_avg_min_max_convert_each_part() -> None:
    parts = [
        Part("EUR", MAR, Decimal("100"), 2, Decimal("40"), Decimal("60")),
        Part("USD", MAR, Decimal("125"), 1, Decimal("125"), Decimal("125")),
    ]
    assert convert_parts(parts, "avg", BOOK).value == Decimal("66.67")
    assert convert_parts(parts, "min", BOOK).value == Decimal("40.00")
    assert convert_parts(parts, "max", BOOK).value == Decimal("100.00")


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("EURO", "USD", "1", "2026-01-01"), "from"),
        (("EUR", "usd", "1", "2026-01-01"), "to"),
        (("EUR", "EUR", "1", "2026-01-01"), "to"),
        (("EUR", "USD", "0", "2026-01-01"), "rate"),
        (("EUR", "USD", "NaN", "2026-01-01"), "rate"),
        (("EUR", "USD", "1e20", "2026-01-01"), "rate"),
        (("EUR", "USD", "1", "31/01/2026"), "date"),
    ],
)
def test_bad_rates_are_refused(args: tuple[str, str, str, str], key: str) -> None:
    with pytest.raises(RateError) as caught:
        parse_rate(*args)
    assert list(caught.value.errors) == [key]


def test_csv_import_reports_every_bad_line_and_stores_none() -> None:
    text = "date,from,to,rate\n2026-01-01,EUR,USD,1.1\n2026-01-02,EUR,XXY,1\nbad,EUR,USD,1\n"
    with pytest.raises(RateError) as caught:
        rates_from_csv(text)
    assert list(caught.value.errors) == ["line 3", "line 4"]
    with pytest.raises(RateError) as header:
        rates_from_csv("day,from,to,rate\n")
    assert "missing: date" in header.value.errors["header"][0]
    ok = rates_from_csv("\ufeffrate,date,to,from\n1.1,2026-01-01,USD,EUR\n")
    assert ok == [Rate("EUR", "USD", JAN, Decimal("1.1"))]


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2)
rates = st.decimals(min_value=Decimal("1"), max_value=Decimal("1000"), places=6)


@settings(max_examples=200, deadline=None)
@given(amount=amounts, rate=rates)
def test_round_trip_with_rate_and_its_inverse_is_within_one_minor_unit(
    amount: Decimal, rate: Decimal
) -> None:
    book = RateBook([Rate("EUR", "USD", JAN, rate)], base="EUR")
    there = convert_amount(amount, "EUR", "USD", MAR, book)
    assert there is not None
    back = convert_amount(there, "USD", "EUR", MAR, book)
    assert back is not None
    assert abs(back - amount) <= Decimal("0.01")


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(amounts, min_size=1, max_size=20),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=4),
    target=st.sampled_from(["USD", "JPY", "BHD"]),
)
def test_sum_of_converted_parts_equals_converted_total_within_rounding(
    amounts: list[Decimal], rate: Decimal, target: str
) -> None:
    book = RateBook([Rate("EUR", target, JAN, rate)], base=target)
    parts = [Part("EUR", MAR, a, 1) for a in amounts]
    total = convert_parts(parts, "sum", book).value
    assert total is not None
    each = [convert_parts([p], "sum", book).value or Decimal(0) for p in parts]
    half_unit = Decimal(1).scaleb(-minor_units(target)) / 2
    # Rounding once per part drifts at most half a minor unit per part, plus the total's.
    assert abs(sum(each) - total) <= half_unit * (len(parts) + 1)
    assert total == round_amount(sum(a for a in amounts) * rate, target)
