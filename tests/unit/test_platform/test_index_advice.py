"""List shapes and index advice: what a slow list's filter and sort ask of an index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from trellis.metadata.model import AppModel, EntityDef, FieldDef, IndexDef
from trellis.platform.records.index_advice import (
    NotedShape,
    advise,
    candidate_index,
    existing_indexes,
    is_served,
)
from trellis.platform.records.list_shape import ListShape, list_shape
from trellis.platform.records.query import SortKey, compile_filter
from trellis.platform.services.slow_lists import FLUSH_EVERY, SlowListLog


def _field(name: str, type_: str, **kw: Any) -> FieldDef:
    return FieldDef(name=name, type=type_, label=name.title(), **kw)


def _model(indexes: tuple[IndexDef, ...] = ()) -> AppModel:
    account = EntityDef("account", "Account", "Accounts", {"name": _field("name", "string")})
    deal = EntityDef(
        "deal",
        "Deal",
        "Deals",
        {
            "name": _field("name", "string"),
            "code": _field("code", "string", unique=True),
            "stage": _field("stage", "enum", options=("new", "won")),
            "region": _field("region", "string"),
            "amount": _field("amount", "integer"),
            "close_date": _field("close_date", "date"),
            "account": _field("account", "reference", to="account"),
        },
        indexes=indexes,
    )
    return AppModel("t", "1.0.0", "T", {"account": account, "deal": deal})


MODEL = _model()


def _shape(text: str | None, sort: tuple[SortKey, ...] = ()) -> ListShape:
    deal = MODEL.entity("deal")
    tree = compile_filter(text, deal, MODEL).tree if text else None
    return list_shape(tree, sort)


def test_the_shape_keeps_fields_by_how_the_filter_compares_them_and_no_value() -> None:
    shape = _shape(
        'stage == "won" and amount >= 100 and region in ("EU", "US") and name starts_with "Ac"'
        ' and close_date is empty and name contains "x"',
        (SortKey("close_date", True), SortKey("name", False)),
    )
    assert shape == ListShape(
        equal=("close_date", "region", "stage"),
        range=("amount",),
        prefix=("name",),
        text=("name",),
        sort=("-close_date", "name"),
    )
    assert "won" not in shape.key() and "100" not in shape.key() and "EU" not in shape.key()


def test_or_not_and_paths_through_references_are_not_indexable_here() -> None:
    assert _shape('stage == "won" or amount > 5').empty
    assert _shape('not (stage == "won")').empty
    assert _shape('account.name == "Acme"').empty
    assert _shape('stage != "won"').empty
    # A comparison of two fields needs no value but no single-column index serves it.
    assert _shape("amount > amount").empty
    # Value on the left reads the same as on the right.
    assert _shape("100 < amount") == ListShape(range=("amount",))


keys = st.lists(st.sampled_from(["name", "stage", "amount", "region"]), unique=True, max_size=3)


@given(keys, keys, keys, keys, keys)
def test_a_shape_survives_its_stored_key(
    equal: list[str], rng: list[str], prefix: list[str], text: list[str], sort: list[str]
) -> None:
    shape = ListShape(tuple(equal), tuple(rng), tuple(prefix), tuple(text), tuple(sort))
    assert ListShape.from_key(shape.key()) == shape


def test_the_candidate_puts_equality_then_sort_then_one_range_field() -> None:
    shape = ListShape(equal=("stage",), range=("amount", "close_date"), sort=("-name",))
    assert candidate_index(shape) == ("stage", "name", "amount")
    assert candidate_index(ListShape(prefix=("name",), range=("amount",))) == ("name",)
    assert candidate_index(ListShape(text=("name",))) == ()
    # A sort key already compared for equality is not repeated.
    assert candidate_index(ListShape(equal=("stage",), sort=("stage", "name"))) == (
        "stage",
        "name",
    )


def test_an_index_serves_a_candidate_it_begins_with_equality_fields_in_any_order() -> None:
    indexes = [("region", "stage", "amount", "name")]
    assert is_served(("stage", "region", "amount"), 2, indexes)
    assert not is_served(("stage", "amount"), 1, indexes)
    assert not is_served(("region", "stage", "name"), 2, indexes)
    deal = MODEL.entity("deal")
    built = existing_indexes(deal)
    assert ("code",) in built and ("account",) in built and ("owner_id", "deleted_at") in built


def _noted(shape: ListShape, count: int = 1, ms: float = 300.0) -> NotedShape:
    return NotedShape("deal", shape, count, ms * count, ms)


def test_advice_merges_shapes_skips_what_is_served_gone_or_rare() -> None:
    by_stage = ListShape(equal=("stage",), sort=("-close_date",))
    noted = [
        _noted(by_stage, 3),
        _noted(ListShape(equal=("stage",), range=("close_date",), sort=("-close_date",)), 2),
        _noted(ListShape(equal=("code",))),  # unique: already indexed
        _noted(ListShape(equal=("account",), sort=("owner_id",))),
        _noted(ListShape(equal=("renamed_away",))),  # no such field any more
        NotedShape("gone", ListShape(equal=("x",)), 9, 9000.0, 1000.0),  # no such entity
        _noted(ListShape(text=("name",)), 4, 50.0),
        _noted(ListShape(equal=("region",)), 1),
    ]
    advice = advise(MODEL, noted, min_count=2)
    assert [(a.entity, a.fields, a.count) for a in advice.indexes] == [
        ("deal", ("stage", "close_date"), 5)
    ]
    assert advice.indexes[0].average_ms == 300.0
    assert [(t.field, t.count) for t in advice.trigrams] == [("name", 4)]
    # Once declared, the index serves those lists and the advice is gone.
    declared = _model((IndexDef(("stage", "close_date")),))
    assert advise(declared, noted, min_count=2).indexes == ()


def test_the_memory_side_writes_a_shape_at_once_then_at_most_once_a_minute() -> None:
    log = SlowListLog()
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    first = log.note("deal", "k", 250.0, start)
    assert first is not None and (first.count, first.max_ms) == (1, 250.0)
    assert log.note("deal", "k", 400.0, start + timedelta(seconds=10)) is None
    assert log.note("deal", "k", 300.0, start + timedelta(seconds=20)) is None
    assert log.note("deal", "other", 300.0, start + timedelta(seconds=20)) is not None
    later = log.note("deal", "k", 200.0, start + FLUSH_EVERY + timedelta(seconds=1))
    assert later is not None
    assert (later.count, later.total_ms, later.max_ms) == (3, 900.0, 400.0)
    assert later.first_at == start + timedelta(seconds=10)
