"""Our own CSS and JavaScript (vendored htmx aside) stay within the 60 KB budget."""

from __future__ import annotations

from pathlib import Path

import trellis.ui.screens

STATIC = Path(trellis.ui.screens.__file__).parent / "static"
BUDGET = 60 * 1024


def test_own_css_and_js_fit_the_budget() -> None:
    own = [p for p in STATIC.rglob("*") if p.suffix in (".css", ".js") and "vendor" not in p.parts]
    assert {p.name for p in own} >= {"app.css", "app.js", "enhance.js"}
    total = sum(p.stat().st_size for p in own)
    assert total <= BUDGET, f"own CSS+JS is {total} bytes, over {BUDGET}"


def test_no_inline_script_or_style_in_the_list_templates() -> None:
    templates = Path(trellis.ui.screens.__file__).parent / "templates"
    for name in (
        "list.html",
        "_list_results.html",
        "_list_rows.html",
        "_list_quick_row.html",
        "_column_chooser.html",
        "_list_totals.html",
    ):
        text = (templates / name).read_text()
        assert "<script" not in text and "<style" not in text and " style=" not in text, name
        assert " onclick=" not in text and " onkeydown=" not in text, name
