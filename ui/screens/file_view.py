"""What the screens show of a record's file fields: files, versions, download links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trellis.metadata.model import FieldType
from trellis.platform.authz.call import Call
from trellis.platform.files.stored import current_files
from trellis.platform.records.compiled import CompiledEntity


def file_field_names(entity: CompiledEntity, call: Call) -> list[str]:
    """The entity's file fields the caller can see, in declaration order."""
    columns = call.access.entity(entity.name).columns
    return [n for n, f in entity.entity.fields.items() if f.type == FieldType.FILE and n in columns]


def _size(size: Any) -> str:
    number = float(size or 0)
    for unit in ("bytes", "KB", "MB"):
        if number < 1024 or unit == "MB":
            return f"{number:.0f} {unit}" if unit == "bytes" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} MB"


def _shown(item: Mapping[str, Any], base: str, names: Mapping[int, str]) -> dict[str, Any]:
    by = item.get("uploaded_by")
    return {
        "id": item.get("id"),
        "name": item.get("name"),
        "size": _size(item.get("size")),
        "content_type": item.get("content_type"),
        "uploaded_at": str(item.get("uploaded_at") or "")[:16].replace("T", " "),
        "uploaded_by": names.get(by, f"#{by}") if isinstance(by, int) else "",
        "href": f"{base}/{item.get('id')}",
    }


def field_files(
    call: Call,
    entity: CompiledEntity,
    record: Mapping[str, Any],
    name: str,
    names: Mapping[int, str],
) -> list[dict[str, Any]]:
    """The current files of ``record``'s file field ``name`` as the screens show them."""
    f = entity.entity.fields[name]
    base = f"/t/{call.tenant}/e/{entity.name}/{record['id']}/_files/{name}"
    return [_shown(item, base, names) for item in current_files(f, record.get(name))]


def file_cards(
    call: Call,
    entity: CompiledEntity,
    record: Mapping[str, Any],
    names: Mapping[int, str],
    locale: str = "en",
) -> list[dict[str, Any]]:
    """One card per visible file field: its files (each with its versions), upload rights,
    and the documents (labelled in ``locale``) that may be saved on it."""
    access = call.access.entity(entity.name)
    can_update = call.access.can(entity.name, "update")
    cards = []
    for name in file_field_names(entity, call):
        f = entity.entity.fields[name]
        record_base = f"/t/{call.tenant}/e/{entity.name}/{record['id']}"
        base = f"{record_base}/_files/{name}"
        files = [
            {
                **_shown(item, base, names),
                "versions": [_shown(v, base, names) for v in item.get("versions") or ()],
            }
            for item in current_files(f, record.get(name))
        ]
        cards.append(
            {
                "name": name,
                "label": f.label,
                "files": files,
                "multiple": f.multiple,
                "versioned": f.versioned,
                "action": base,
                "can_upload": can_update and name not in access.read_only,
                "documents": [
                    {
                        "name": d.name,
                        "label": d.labels.get(locale, d.label),
                        "action": f"{record_base}/documents/{d.name}",
                    }
                    for d in call.app.model.documents_of(entity.name)
                    if d.store_in == name and can_update and name not in access.read_only
                ],
            }
        )
    return cards


__all__ = ["field_files", "file_cards", "file_field_names"]
