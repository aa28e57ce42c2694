"""Renaming a field rewrites it inside an SLA file's ``pause_when`` like ``met_when``."""

from __future__ import annotations

from pathlib import Path

from trellis.metadata.loader import load_package
from trellis.platform.drafts.refs_expr import Rename, apply_edits
from trellis.platform.drafts.refs_yaml import yaml_edits

SLA = """\
priority_field: priority
pause_when: 'state == "pending"'
targets:
  response:
    met_when: 'state == "closed"'
    hours: {high: 4, low: 8}
"""


def test_a_field_rename_rewrites_the_sla_pause_condition(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: desk\nversion: 1.0.0\n")
    (root / "entities" / "ticket.yaml").write_text(
        "fields:\n  priority: {type: enum, options: [high, low]}\n"
        "  state: {type: enum, options: [open, pending, closed]}\n"
    )
    model = load_package(root)
    edits = yaml_edits(model, SLA, "ticket", Rename("field", "ticket", "state", "status"))
    renamed = apply_edits(SLA, edits)
    assert "pause_when: 'status == \"pending\"'" in renamed
    assert "met_when: 'status == \"closed\"'" in renamed
