"""The list screen's bulk actions: delete or set one field on the checked records."""

from __future__ import annotations

from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.forms import form_values


def apply_bulk_action(
    api: RecordsService, call: Call, target: CompiledEntity, posted: dict[str, list[str]]
) -> str:
    """Run the posted action record by record; the flash message saying what happened."""
    ids = [int(v) for v in posted.get("ids", []) if v.isdigit()]
    action = (posted.get("action") or [""])[-1]
    done, failed = 0, []
    for ident in ids:
        try:
            if action == "delete":
                api.delete(call, target, ident, None)
            elif action == "set":
                field = (posted.get("field") or [""])[-1]
                values = form_values(target.entity, {field: posted.get("value", [])}, [field])
                api.update(call, target, ident, values, None)
            else:
                break
            done += 1
        except RecordError as exc:
            details = [m for ms in exc.body()["errors"].values() for m in ms]
            failed.append(f"#{ident}: {' '.join(details) or exc}")
    verb = "updated" if action == "set" else "deleted"
    message = f"{done} of {len(ids)} records {verb}."
    if failed:
        message += " Not changed: " + "; ".join(failed[:5])
    return message


__all__ = ["apply_bulk_action"]
