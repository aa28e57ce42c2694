"""A record's form state with its labels: what the form endpoints and screens show."""

from __future__ import annotations

from typing import Any

from trellis.platform.authz.call import Call
from trellis.platform.i18n import DEFAULT_LOCALE, Translator
from trellis.platform.i18n.form_labels import form_labels
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.services.records import RecordsService


def labelled_form(
    records: RecordsService,
    call: Call,
    entity: CompiledEntity,
    record_id: int | None,
    data: dict[str, Any],
    locale: str = DEFAULT_LOCALE,
) -> dict[str, dict[str, Any]]:
    """Which fields are visible, required and read-only for a record (or draft) now.

    Each field also carries its ``label`` and, for enum, stage and state fields, its
    ``options`` as ``{"value", "label"}`` in ``locale`` (values stay raw).
    """
    state = records.form(call, entity, record_id, data)
    labels = form_labels(call.app.model, entity.entity, Translator(locale))
    return {name: {**flags, **labels.get(name, {})} for name, flags in state.items()}


__all__ = ["labelled_form"]
