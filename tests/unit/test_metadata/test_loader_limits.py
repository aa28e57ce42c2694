"""Regression tests for what the loader fuzzers found: each one's minimal input.

Hostile or broken files must end as positioned diagnostics, in bounded time and
memory, never as an exception.
"""

from __future__ import annotations

import os
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import PackageReport, load_yaml, validate_package
from trellis.metadata.loader.yaml_source import MAX_ALIAS_NODES, MAX_FILE_BYTES
from trellis.rules.checker import RuleExpressionChecker

APP = 'name: t\nversion: "1.0"\n'
ENTITY = "fields:\n  subject: {type: string}\n  status: {type: enum, options: [new, done]}\n"
BILLION_LAUGHS = "\n".join(
    ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
)


def _package(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "pkg"
    for relative, content in {"app.yaml": APP, **files}.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def _validate(root: Path) -> PackageReport:
    return validate_package(root, checker=RuleExpressionChecker())


def _lines(report: PackageReport, root: Path) -> list[str]:
    return [str(d).replace(root.as_posix(), "pkg") for d in report.diagnostics]


def test_alias_bomb_stops_at_the_alias_limit_within_little_memory(tmp_path: Path) -> None:
    # 9**9 strings once expanded; refused after MAX_ALIAS_NODES nodes reached again.
    root = _package(tmp_path, {"entities/x.yaml": ENTITY + BILLION_LAUGHS + "\n"})
    tracemalloc.start()
    try:
        report = _validate(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _lines(report, root) == [
        f"pkg/entities/x.yaml:1:1: error MD009: aliases expand to more than "
        f"{MAX_ALIAS_NODES} nodes (an alias bomb?)"
    ]
    assert peak < 40 * 2**20


def test_a_few_aliases_are_still_expanded() -> None:
    doc = load_yaml("base: &b [new, done]\nagain: *b\nmore: *b\n", "f.yaml")
    assert doc.data == {"base": ["new", "done"], "again": ["new", "done"], "more": ["new", "done"]}
    assert doc.diagnostics == ()


def test_file_over_the_size_limit_is_md033_without_being_read_whole(tmp_path: Path) -> None:
    root = _package(tmp_path, {"entities/x.yaml": ENTITY})
    with (root / "entities" / "x.yaml").open("ab") as handle:
        handle.truncate(64 * 2**20)  # a sparse 64 MiB file
    tracemalloc.start()
    try:
        report = _validate(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _lines(report, root) == [
        f"pkg/entities/x.yaml:1:1: error MD033: the file is larger than "
        f"{MAX_FILE_BYTES // 1024} KiB; metadata files are small (is it the right file?)"
    ]
    assert peak < 8 * 2**20


def test_rule_file_over_the_size_limit_is_md033(tmp_path: Path) -> None:
    rules = "# padding\n" * (MAX_FILE_BYTES // 10 + 1)
    root = _package(tmp_path, {"entities/x.yaml": ENTITY, "rules/big.rules": rules})
    assert [(d.code, d.span.path.rsplit("/", 2)[-2:]) for d in _validate(root).diagnostics] == [
        ("MD033", ["rules", "big.rules"])
    ]


def test_text_over_the_size_limit_is_md033_before_parsing() -> None:
    with pytest.raises(MetadataError) as caught:
        load_yaml("a: " + "é" * (MAX_FILE_BYTES // 2), "f.yaml")
    assert [d.code for d in caught.value.diagnostics] == ["MD033"]


def test_thousands_of_duplicate_keys_are_each_reported_and_forgotten() -> None:
    # Forgetting a duplicate's positions used to scan the whole table: quadratic.
    count = 2000
    text = "".join(f"k{i}: {{a: 1, b: 2}}\n" for i in range(count))
    text += "".join(f"k{i}: {{a: 3}}\n" for i in range(count))
    doc = load_yaml(text, "f.yaml")
    assert [d.code for d in doc.diagnostics] == ["MD005"] * count
    assert str(doc.diagnostics[0]) == (
        f"f.yaml:{count + 1}:1: error MD005: duplicate key 'k0' (first at line 1)"
    )
    assert doc.data["k7"] == {"a": 3}
    assert ("k7", "a") in doc.positions
    assert ("k7", "b") not in doc.positions
    assert doc.positions[("k7", "a")].value.line == count + 8


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!bool maybe", "cannot read 'maybe' as !!bool"),
        ("!!timestamp soon", "cannot read 'soon' as !!timestamp"),
        ("!!int twelve", "cannot read 'twelve' as !!int"),
        ("!!float x", "cannot read 'x' as !!float"),
    ],
)
def test_a_tag_its_value_does_not_fit_is_md009_not_a_crash(value: str, message: str) -> None:
    # "!!bool maybe" raised KeyError out of PyYAML's constructor.
    doc = load_yaml(f"label: {value}\n", "f.yaml")
    assert [str(d) for d in doc.diagnostics] == [f"f.yaml:1:8: error MD009: {message}"]


@pytest.mark.parametrize("number", [".nan", ".inf", "-.Inf", "1.0e+400"])
def test_non_finite_numbers_are_md004(tmp_path: Path, number: str) -> None:
    # JSON has no NaN or infinity: they would reach OpenAPI and range checks.
    entity = f"fields:\n  qty: {{type: integer, max: {number}}}\n"
    root = _package(tmp_path, {"entities/x.yaml": entity})
    lines = _lines(_validate(root), root)
    assert lines == [
        f"pkg/entities/x.yaml:2:29: error MD004: '{number}' is not a finite number; "
        "write a number like 1000"
    ]


def test_workflow_on_an_entity_file_that_is_not_a_mapping_is_a_diagnostic(
    tmp_path: Path,
) -> None:
    # An entity file holding only "~" crashed the workflow check (None.get).
    workflow = """
        entity: ticket
        field: status
        initial: new
        states: [new, done]
        transitions:
          - {name: finish, from: new, to: done}
    """
    root = _package(tmp_path, {"entities/ticket.yaml": "~\n", "workflows/flow.yaml": workflow})
    assert _lines(_validate(root), root) == [
        "pkg/entities/ticket.yaml:1:1: error MD004: the document must be a mapping, got nothing",
        "pkg/workflows/flow.yaml:3:8: error MD065: unknown field 'status' on entity 'ticket'",
    ]


def test_a_symlink_to_a_parent_folder_does_not_make_the_walk_endless(tmp_path: Path) -> None:
    root = _package(tmp_path, {"entities/x.yaml": ENTITY})
    os.symlink("..", root / "entities" / "loop")
    report = _validate(root)
    assert report.model is not None
    assert _lines(report, root) == [
        "pkg/entities/loop:1:1: warning MD031: 'entities/loop' is not an entity file "
        "(*.yaml); ignored"
    ]
