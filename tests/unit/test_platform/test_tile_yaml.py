"""Tile edits of a dashboard file keep everything else as written."""

from __future__ import annotations

import textwrap

import yaml

from trellis.platform.designers.tile_yaml import (
    add_tile,
    move_tile,
    remove_tile,
    set_tile,
    tile_items,
    tile_key_at,
)

TEXT = textwrap.dedent(
    """\
    label: {en: Main}  # the title
    tiles:
      # First: a count.
      - kind: kpi
        label: {en: Items}  # shown big
        entity: item
        agg: count
      - {kind: bar, label: Status, entity: item, agg: count, group_by: status}
      # Third, a ratio.
      - kind: ratio
        label: Done
        numerator:
          entity: item
          agg: count
          where: 'status == "done"'
        denominator: {entity: item, agg: count}
    # trailing
    """
)


def test_set_tile_edits_keys_in_place_and_keeps_comments() -> None:
    changed = set_tile(TEXT, 0, {"agg": "sum", "field": "quantity", "label": {"en": "Items"}})
    assert "# First: a count." in changed and "# shown big" in changed
    assert "    agg: sum\n    field: quantity\n" in changed
    assert tile_items(changed)[0] == {
        "kind": "kpi",
        "label": {"en": "Items"},
        "entity": "item",
        "agg": "sum",
        "field": "quantity",
    }
    cleared = set_tile(changed, 0, {"field": None, "agg": "count"})
    assert tile_items(cleared)[0] == tile_items(TEXT)[0]
    flow = set_tile(TEXT, 1, {"group_by": None, "kind": "kpi"})
    assert "  - {kind: kpi, label: Status, entity: item, agg: count}\n" in flow
    assert yaml.safe_load(flow)["label"] == {"en": "Main"}


def test_add_move_and_remove_carry_the_comments_above_a_tile() -> None:
    added = add_tile(TEXT, {"kind": "kpi", "label": "New", "entity": "item", "agg": "count"})
    assert tile_items(added)[-1]["label"] == "New"
    assert added.endswith("  - {kind: kpi, label: New, entity: item, agg: count}\n# trailing\n")
    moved = move_tile(TEXT, 2, 1)
    assert [t["kind"] for t in tile_items(moved)] == ["kpi", "ratio", "bar"]
    assert moved.index("# Third, a ratio.") < moved.index("kind: ratio") < moved.index("kind: bar")
    assert sorted(moved.splitlines()) == sorted(TEXT.splitlines())
    removed = remove_tile(TEXT, 0)
    assert "First" not in removed and "shown big" not in removed
    assert [t["kind"] for t in tile_items(removed)] == ["bar", "ratio"]


def test_tile_key_at_names_the_input_of_a_position() -> None:
    lines = TEXT.splitlines()
    where = next(i for i, line in enumerate(lines, 1) if "where:" in line)
    column = lines[where - 1].index("'") + 1
    assert tile_key_at(TEXT, 2, where, column) == "numerator_where"
    label = next(i for i, line in enumerate(lines, 1) if "label: {en: Items}" in line)
    assert tile_key_at(TEXT, 0, label, lines[label - 1].index("Items") + 1) == "label_en"


HAVING = textwrap.dedent(
    """\
    tiles:
      - kind: kpi
        label: Kept
        entity: account
        agg: count
        having:
        # an indentless list under its key
        - {entity: order, field: account, where: "total > 1"}
        - entity: order
          field: account
          where: "total > 2"
        series_label: Mine
    """
)


def test_a_block_list_is_replaced_from_its_key_and_items_name_their_inputs() -> None:
    rows = [{"entity": "order", "field": "account", "where": "total > 3"}]
    changed = set_tile(HAVING, 0, {"having": rows, "series_label": None})
    assert changed.endswith(
        "    agg: count\n    having: [{entity: order, field: account, where: total > 3}]\n"
    )
    assert tile_items(changed)[0]["having"] == rows and "series_label" not in changed
    assert tile_key_at(HAVING, 0, 8, 40) == "having_1_where"
    assert tile_key_at(HAVING, 0, 10, 7) == "having_2_field"
    assert tile_key_at(HAVING, 0, 12, 5) == "series_label"
