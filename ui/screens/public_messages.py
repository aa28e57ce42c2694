"""The platform's own sentences on public pages (msgids, translated when a page is shown
in the reader's language: see ``PageText.translator``)."""

from __future__ import annotations

from collections.abc import Mapping

from trellis.platform.i18n import N_

NOT_FOUND = N_("This page does not exist.")
BAD_ORIGIN = N_("This form cannot be sent from the page you used.")
PROBLEM = N_("Please correct the fields marked below.")
THANKS = N_("Thank you. We have received your message.")
LINK_DONE = N_("Thank you. Your answer has been saved.")
SEND, CONFIRM = N_("Send"), N_("Confirm")
#: Why a signed link cannot be used: the status and the sentence of its page.
LINK_REFUSED: Mapping[str, tuple[int, str]] = {
    "invalid": (404, N_("This link is not valid.")),
    "expired": (410, N_("This link has expired.")),
    "used": (410, N_("This link has already been used.")),
    "revoked": (410, N_("This link has been withdrawn.")),
}


__all__ = [
    "BAD_ORIGIN",
    "CONFIRM",
    "LINK_DONE",
    "LINK_REFUSED",
    "NOT_FOUND",
    "PROBLEM",
    "SEND",
    "THANKS",
]
