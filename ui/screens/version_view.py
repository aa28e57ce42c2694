"""How the history of versions is shown: the kind, the time and the platform's own notes
in the reader's language (the stored rows keep the API's English and raw values)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from trellis.platform.drafts.versions import rollback_note_target
from trellis.platform.i18n import Translator


def kind_label(t: Translator, kind: str) -> str:
    """``package``, ``publish`` or ``rollback`` as the reader's language names them."""
    labels = {
        "package": t.pgettext("version kind", "package"),
        "publish": t.pgettext("version kind", "publish"),
        "rollback": t.pgettext("version kind", "rollback"),
    }
    return labels.get(kind, kind)


def shown_comment(t: Translator, item: Mapping[str, Any]) -> str:
    """The version's comment; the note the platform wrote for a rollback is translated."""
    comment = str(item.get("comment") or "")
    target = rollback_note_target(comment) if item.get("kind") == "rollback" else None
    return comment if target is None else t.gettext("Rollback to version %(v)s", v=target)


def version_rows(t: Translator, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the history with ``kind_label``, ``comment_shown`` and ``when``."""
    return [
        {
            **item,
            "kind_label": kind_label(t, str(item.get("kind") or "")),
            "comment_shown": shown_comment(t, item),
            "when": t.datetime(dt.datetime.fromisoformat(str(item["published_at"]))),
        }
        for item in items
    ]


__all__ = ["kind_label", "shown_comment", "version_rows"]
