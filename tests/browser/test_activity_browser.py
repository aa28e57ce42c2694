"""Comment with a mention, the mentioned member's inbox, and the admin jobs page."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_records import creator


def test_comment_with_a_mention_reaches_the_inbox(
    browser: Any, page: Any, live: LiveServer
) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    account = creator(live.runtime, "acme", admin)("account", name="Mention Corp")
    sign_in_browser(page)
    page.goto(f"/t/acme/e/account/{account['id']}")
    box = page.get_by_label("Comment", exact=True)
    box.fill("Can you call them? ")
    page.get_by_label("Mention a colleague").select_option("@rep@acme.test")
    assert box.input_value() == "Can you call them? @rep@acme.test "
    box.press("Control+Enter")
    page.locator(".comment-outcome").wait_for()
    assert "Notified: rep." in page.locator(".comment-outcome").inner_text()
    assert page.locator(".tl-comment .mention").first.inner_text() == "@rep@acme.test"
    assert box.input_value() == ""
    assert page.errors == []

    context = browser.new_context(base_url=live.url)
    rep = context.new_page()
    try:
        sign_in_browser(rep, "rep@acme.test")
        assert rep.locator("#unread-count").inner_text() == "1"
        rep.get_by_role("link", name="Notifications: 1 unread").click()
        rep.wait_for_url("**/t/acme/notifications")
        assert "mentioned you on Account “Mention Corp”" in rep.locator(".inbox").inner_text()
        rep.get_by_role("button", name="Open").click()
        rep.wait_for_url(f"**/t/acme/e/account/{account['id']}")
        assert rep.locator("#unread-count").count() == 0
    finally:
        context.close()


def test_admin_jobs_page(page: Any) -> None:
    sign_in_browser(page)
    page.get_by_role("link", name="Admin").click()
    page.wait_for_url("**/t/acme/admin/jobs")
    assert page.get_by_role("heading", name="Dead letters").is_visible()
    assert page.locator("#count-dead strong").inner_text().isdigit()
    assert page.errors == []
