"""The import wizard in Chromium: upload, fix a mapping, dry run, run, report, error file, undo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT

from trellis.platform.jobs import Dispatcher

from browser_support import LiveServer, sign_in_browser

# "Company" matches no field: the member maps it by hand. Row 3 has an unknown industry.
CSV = b"Company,Industry\nWizard One,Technology\nWizard Two,nonsense\nWizard Three,Retail\n"
MINUTE = 60_000


def _report(page: Any, live: LiveServer) -> None:
    """Run the queued job, then wait for the polling panel to turn into the report."""
    Dispatcher(live.runtime).run_due()
    page.wait_for_function(
        "() => document.getElementById('import-counts') !== null", timeout=MINUTE
    )


def _axe(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page (as test_accessibility_browser)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    found = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def _count(page: Any, name: str) -> str:
    return str(page.locator(f'#import-counts [data-count="{name}"]').inner_text())


def test_upload_map_dry_run_run_report_download_and_undo(
    page: Any, live: LiveServer, tmp_path: Path
) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/account")
    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r".*/t/acme/e/account/_import$"))
    page.set_input_files(
        "#import-file", files=[{"name": "accounts.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_role("button", name="Upload and map", exact=True).click()
    page.wait_for_url(re.compile(r".*/_import/[A-Za-z0-9_-]+$"), timeout=MINUTE)
    assert "Required field 'name' has no column" in page.locator("#import-problems").inner_text()
    # fix the mapping: htmx re-renders the mapping and the preview
    page.select_option("#col-0", "name")
    page.wait_for_function(
        "() => document.getElementById('import-actions') !== null", timeout=MINUTE
    )
    preview = page.locator("#import-preview").inner_text()
    assert "Wizard One" in preview and "'nonsense' is not an option of industry" in preview
    assert _axe(page) == []
    page.get_by_role("button", name="Dry run", exact=True).click()
    page.wait_for_url(re.compile(r".*/t/acme/imports/\d+\?draft=.*"), timeout=MINUTE)
    _report(page, live)
    assert (_count(page, "created"), _count(page, "failed")) == ("2", "1")
    page.get_by_role("button", name="Import now", exact=True).click()
    page.wait_for_url(re.compile(r".*/t/acme/imports/\d+$"), timeout=MINUTE)
    _report(page, live)
    assert (_count(page, "created"), _count(page, "failed")) == ("2", "1")
    assert "Row 3:" in page.locator("#import-errors").inner_text()
    assert _axe(page) == []
    with page.expect_download(timeout=MINUTE) as download:
        page.get_by_role("link", name="Download the error file", exact=True).click()
    saved = tmp_path / "errors.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("row,errors,Company") and lines[1].startswith("3,")
    assert len(lines) == 2
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo import", exact=True).click()
    page.wait_for_function("() => document.querySelector('.flash') !== null", timeout=MINUTE)
    assert "Import undone: 2 records deleted" in page.locator(".flash").inner_text()
    page.goto("/t/acme/e/account?q=Wizard")
    assert "Wizard One" not in page.locator("main").inner_text()
    assert page.errors == []


def test_cancel_from_the_live_panel(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/account/_import")
    content = b"Account name\nCancelled One\nCancelled Two\n"
    page.set_input_files(
        "#import-file", files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Upload and map", exact=True).click()
    page.wait_for_url(re.compile(r".*/_import/[A-Za-z0-9_-]+$"), timeout=MINUTE)
    page.get_by_role("button", name="Import now", exact=True).click()
    page.wait_for_url(re.compile(r".*/t/acme/imports/\d+$"), timeout=MINUTE)
    assert "queued" in page.locator("#import-state").inner_text()
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_function(
        "() => document.getElementById('import-counts') !== null", timeout=MINUTE
    )
    assert "cancelled" in page.locator("#import-state").inner_text()
    assert "Import" in page.locator(".flash").inner_text()
    assert page.errors == []
