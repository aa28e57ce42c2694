"""What a public portal page shows: its language and its records' values as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

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


def filter_choices(
    t: Translator, found: FoundPortal, chosen: Mapping[str, str], base: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The list's filters: per enum field, a link for "all" and one per option, each
    keeping the search, the language and the other filters (no script needed)."""
    path = f"/p/{found.tenant}/{found.portal.name}"
    model = found.rt.app.model
    out = []
    for name in found.portal.filters:
        f = found.entity.entity.fields[name]
        others = {**base, **{k: v for k, v in chosen.items() if k != name}}

        def href(extra: Mapping[str, str], others: Mapping[str, str] = others) -> str:
            query = urlencode({**others, **extra})
            return f"{path}?{query}" if query else path

        options = [
            {
                "label": t.value_label(model, f, value),
                "href": href({name: value}),
                "current": chosen.get(name) == value,
            }
            for value in f.options
        ]
        every = {"label": t.gettext("All"), "href": href({}), "current": name not in chosen}
        out.append({"name": name, "label": t.label(f.label), "options": [every, *options]})
    return out


def translation_links(
    t: Translator, found: FoundPortal, rows: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """Links to a record's public translations, each named by its language and heading
    and opened in that language."""
    p = found.portal
    path = f"/p/{found.tenant}/{p.name}"
    links = []
    for row in rows:
        language = str(row.get(p.language) or "") if p.language else ""
        shown = _shown(t, found, p.language, language) if p.language and language else ""
        query = f"?{urlencode({'lang': language})}" if supported(language) else ""
        links.append(
            {
                "href": f"{path}/{row['id']}{query}",
                "language": shown,
                "lang": language,
                "heading": str(row.get(p.heading) or f"#{row['id']}"),
            }
        )
    return links


__all__ = ["filter_choices", "portal_locale", "record_view", "translation_links"]
