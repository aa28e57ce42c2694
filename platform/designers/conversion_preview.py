"""The field designer's conversion preview: a type change shown on the stored values.

When the admin picks another type for a published field, the editor shows the first
stored values before and after the conversion (platform/drafts/conversion.py, the
reading the plan counts with) and how many do not convert. A save that changes the
type of a field holding values asks for the entity's name typed as confirmation, and
is refused while some values do not convert: the publish would be refused for them
anyway (``convert_type``), and the application could not read them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trellis.metadata.loader._build import build_field
from trellis.metadata.loader.positions import PositionMap
from trellis.platform.drafts.conversion import (
    PREVIEW_ROWS,
    ConversionPreview,
    preview_conversion,
    type_changed,
)
from trellis.platform.drafts.errors import DraftError
from trellis.platform.runtime import Runtime


class ConversionRefusedError(DraftError):
    """A type change the stored values do not allow, or one not confirmed."""

    def __init__(self, preview: ConversionPreview, *, confirmed: bool) -> None:
        super().__init__(
            f"{preview.failed} of {preview.values} stored values of '{preview.field}' "
            f"do not convert to {preview.new_type}."
        )
        self.preview = preview
        #: False: the typed confirmation is missing or wrong (the values would convert).
        self.confirmed = confirmed


def field_conversion(
    runtime: Runtime,
    tenant: str,
    entity: str,
    name: str,
    definition: dict[str, Any],
    *,
    limit: int = PREVIEW_ROWS,
) -> ConversionPreview | None:
    """The preview of changing published field ``name`` to ``definition``'s type.

    None when the field is not published, its type does not change, or its column
    holds nothing yet.
    """
    if not runtime.tenant(tenant, fresh=True).current_version:
        return None
    published = runtime.app(tenant).model.entities.get(entity)
    old = published.fields.get(name) if published is not None else None
    new = build_field(name, definition, PositionMap("", {}))
    if old is None or new is None or not type_changed(old, new):
        return None
    schema = runtime.engines.tenant_schema(tenant)
    with runtime.engines.tenant_engine(tenant).connect() as conn:
        inspector = sa.inspect(conn)
        if not inspector.has_table(entity, schema=schema):
            return None
        if name not in {c["name"] for c in inspector.get_columns(entity, schema=schema)}:
            return None
        return preview_conversion(conn, schema, entity, old, new, limit=limit)


def check_conversion(
    runtime: Runtime,
    tenant: str,
    entity: str,
    name: str,
    definition: dict[str, Any],
    *,
    confirm: str,
) -> None:
    """Refuse a type change whose stored values do not convert, or that is not confirmed.

    Raises:
        ConversionRefusedError: some values do not convert (``confirmed`` True), or
            values would be converted and ``confirm`` is not the entity's name.
    """
    preview = field_conversion(runtime, tenant, entity, name, definition)
    if preview is None or not preview.values:
        return
    if preview.failed:
        raise ConversionRefusedError(preview, confirmed=True)
    if confirm.strip() != entity:
        raise ConversionRefusedError(preview, confirmed=False)


__all__ = ["ConversionRefusedError", "check_conversion", "field_conversion"]
