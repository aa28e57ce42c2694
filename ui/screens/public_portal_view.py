"""What a public portal page shows: its language and its records' values as text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup

from trellis.metadata.model import FieldType, pick_text
from trellis.metadata.model.rich_text import sanitise
from trellis.platform.i18n import Translator
from trellis.platform.i18n.negotiation import accepted_locale, supported
from trellis.platform.public import FoundPortal


def portal_locale(lang: str | None, header: str | None, default: str | None) -> str:
    """``?lang=`` when supported, else ``Accept-Language``, else the tenant's, else ``en``.

    An unknown language anywhere is skipped without an error.
    """
    return supported(lang) or accepted_locale(header) or supported(default) or "en"


def _shown(t: Translator, found: FoundPortal, name: str, value: Any) -> str:
    f = found.entity.entity.fields[name]
    if value is None or value == "":
        return ""
    if f.type in (FieldType.ENUM, FieldType.MULTI_ENUM):
        return t.value_label(found.rt.app.model, f, value)
    if isinstance(value, dt.datetime):
        return t.datetime(value)
    if isinstance(value, dt.date):
        return t.date(value)
    return str(value)


def record_view(t: Translator, found: FoundPortal, row: dict[str, Any]) -> dict[str, Any]:
    """A record as the page shows it: heading, summary, fields, body (clean HTML), votes."""
    p = found.portal
    fields = found.entity.entity.fields
    shown = []
    for item in p.fields:
        text = _shown(t, found, item.name, row.get(item.name))
        if text:
            label = pick_text(item.label, [t.locale]) or t.label(fields[item.name].label)
            shown.append({"label": label, "value": text})
    body = row.get(p.body) if p.body else None
    if isinstance(body, str) and p.body and fields[p.body].type != FieldType.RICH_TEXT:
        body = Markup("").join(Markup("<p>{}</p>").format(b) for b in body.split("\n\n"))
    elif isinstance(body, str):
        body = Markup(sanitise(body))  # stored clean already; cleaned again on the way out
    votes = [int(row.get(n) or 0) for n in p.votes] if p.votes else None
    return {
        "id": row["id"],
        "heading": str(row.get(p.heading) or f"#{row['id']}"),
        "summary": str(row.get(p.summary) or "") if p.summary else "",
        "fields": shown,
        "body": body,
        "votes": votes,
    }


__all__ = ["portal_locale", "record_view"]
