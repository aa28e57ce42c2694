"""Which currency a money figure of a screen is in when its amounts do not say."""

from __future__ import annotations

from trellis.metadata.model import AppModel, EntityDef, FieldType


def total_currency(model: AppModel, entity: EntityDef, total: str | None) -> str | None:
    """The currency of a money total when no amount says: its currency field's default.

    A literal default (``'"EUR"'``) names it; otherwise the tenant's base currency.
    """
    f = entity.fields.get(total) if total else None
    if f is None or f.type != FieldType.MONEY:
        return None
    source = entity.fields.get(f.currency_field) if f.currency_field else None
    default = (source.default or "").strip() if source is not None else ""
    if len(default) > 2 and default[0] == default[-1] == '"' and default[1:-1].isalpha():
        return default[1:-1]
    return model.currency


__all__ = ["total_currency"]
