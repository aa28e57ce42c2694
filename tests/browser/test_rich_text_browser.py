"""A rich text field in Chromium: typed in the form, shown formatted, nothing executes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from browser_support import LiveServer, sign_in_browser
from ui_support import add_user

NOTE = """\
label: Note
title: title
fields:
  title: {type: string, required: true}
  body: {type: rich_text}
"""
DETAIL = re.compile(r".*/t/acme/e/note/\d+$")
HOSTILE = (
    '<p onclick="window.__pwned = 1">Quarterly <strong>pipeline</strong> review</p>'
    "<script>window.__pwned = 2</script>"
    '<img src="x" onerror="window.__pwned = 3">'
    '<ul><li><a href="javascript:window.__pwned = 4">bad</a></li>'
    '<li><a href="https://example.org/docs" target="_blank">docs</a></li></ul>'
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tenant ``acme`` with a ``note`` entity (SQLite), served on a free port."""
    root = tmp_path_factory.mktemp("rich-browser")
    package = root / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "app.yaml").write_text("name: notes\nversion: 1.0.0\nlabel: Notes\n")
    (package / "entities" / "note.yaml").write_text(NOTE)
    runtime = Runtime(RuntimeConfig(data_dir=Path(root / "data")))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", package)
    add_user(runtime, "acme", "admin@acme.test", ["admin"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def test_rich_text_is_saved_clean_and_shown_formatted(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/note/new")
    page.get_by_label("Title").fill("Review")
    page.get_by_label("Body").fill(HOSTILE)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    body = page.locator("#value-body")
    assert body.locator("strong").inner_text() == "pipeline"
    assert body.locator("li").count() == 2
    link = body.locator("a[href]")
    assert link.count() == 1
    assert link.get_attribute("href") == "https://example.org/docs"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.get_attribute("target") is None
    body.locator("p").click()
    assert page.evaluate("() => window.__pwned") is None
    assert body.locator("script, img, [onclick], [style]").count() == 0
    assert page.errors == []
