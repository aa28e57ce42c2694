"""The fields of a public form or link page, and the languages its texts are written in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trellis.metadata.model import EntityDef, FormDef, LinkDef, PublicFieldDef
from trellis.ui.screens.public_text import PageText


def page_fields(
    entity: EntityDef, declared: Sequence[PublicFieldDef], text: PageText
) -> list[dict[str, Any]]:
    """The declared fields of a public page, labelled in the page's language (a field's
    own label and its options' labels in the catalogue language when the page declares
    none)."""
    t = text.translator
    out = []
    for item in declared:
        f = entity.fields[item.name]
        out.append(
            {
                "name": f.name,
                "type": str(f.type),
                "label": text(item.label, t.label(f.label)),
                "help": text(item.help),
                "required": item.required or f.required,
                "options": f.options,
                "choices": [(o, t.label(f.option_label(o))) for o in f.options],
                "max_length": f.max_length,
            }
        )
    return out


def _languages(*texts: Mapping[str, str]) -> set[str]:
    return {k for t in texts for k in t}


def form_languages(form: FormDef) -> set[str]:
    labels = [f.label for f in form.fields]
    return _languages(form.title, form.description, form.success_message, *labels)


def link_languages(kind: LinkDef) -> set[str]:
    return _languages(
        kind.title, kind.description, kind.done_message, *[f.label for f in kind.fields]
    )


__all__ = ["form_languages", "link_languages", "page_fields"]
