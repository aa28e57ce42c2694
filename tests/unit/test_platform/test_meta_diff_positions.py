"""The metadata diff ignores where things were read from: the same package copied to
another folder (as a draft is) changes no field, while a real change still shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from trellis.metadata.loader import load_package
from trellis.platform.drafts.diff import model_diff
from trellis.rules.checker import RuleExpressionChecker
from trellis.seed.crm import PACKAGE_PATH


def test_a_copied_package_changes_no_field_but_an_edit_does(tmp_path: Path) -> None:
    checker = RuleExpressionChecker()
    published = load_package(PACKAGE_PATH, checker=checker)
    copy = shutil.copytree(PACKAGE_PATH, tmp_path / "draft")
    same = model_diff(published, load_package(copy, checker=checker))
    assert same["fields_changed"] == {}
    assert str(tmp_path) not in repr(same)
    quote = copy / "entities" / "quote.yaml"
    text = quote.read_text(encoding="utf-8")
    assert "agg: sum" in text
    quote.write_text(text.replace("agg: sum", "agg: max", 1), encoding="utf-8")
    edited = model_diff(published, load_package(copy, checker=checker))
    (rollup,) = [a for f in edited["fields_changed"]["quote"].values() for a in f]
    assert rollup == "rollup"
