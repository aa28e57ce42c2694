"""``lines`` fields in the loader: the reference back found or named, and its errors."""

from __future__ import annotations

from pathlib import Path

from trellis.metadata.loader import validate_package

from metadata_test_support import NameChecker

LINE = "fields:\n  first: {type: reference, to: order}\n  second: {type: reference, to: order}\n"


def _package(tmp_path: Path, order: str, line: str = LINE) -> Path:
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: shop\nversion: 1.0.0\n")
    (root / "entities" / "order.yaml").write_text(order)
    (root / "entities" / "order_line.yaml").write_text(line)
    return root


def test_two_references_back_need_parent_field(tmp_path: Path) -> None:
    order = "fields:\n  items: {type: lines, entity: order_line}\n"
    report = validate_package(_package(tmp_path, order), checker=NameChecker())
    assert [(d.code, d.span.line) for d in report.diagnostics] == [("MD254", 2)]
    assert "name one with 'parent_field'" in report.diagnostics[0].message


def test_parent_field_picks_the_reference_and_makes_it_cascade(tmp_path: Path) -> None:
    order = "fields:\n  items: {type: lines, entity: order_line, parent_field: second}\n"
    model = validate_package(_package(tmp_path, order), checker=NameChecker()).model
    assert model is not None
    assert model.entity("order").lines["items"].parent_field == "second"
    fields = model.entity("order_line").fields
    assert fields["second"].on_delete == "cascade" and fields["first"].on_delete == "none"
    assert model.line_owner("order_line") == (
        model.entity("order"),
        model.entity("order").lines["items"],
    )
    assert "items" not in model.entity("order").fields  # not a column


def test_keys_of_other_types_do_not_apply(tmp_path: Path) -> None:
    order = (
        "fields:\n  items: {type: lines, entity: order_line, parent_field: first, unique: true}\n"
    )
    report = validate_package(_package(tmp_path, order), checker=NameChecker())
    assert [d.code for d in report.diagnostics] == ["MD019"]
    assert "'unique' does not apply to type 'lines'" in report.diagnostics[0].message
