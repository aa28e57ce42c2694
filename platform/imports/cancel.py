"""Cancelling an import: it stops after the batch it is writing; what it wrote stays.

``cancel_import`` ends a queued or interrupted import at once (``cancelled``) and asks
a running one to stop (``cancelling``); the run checks for the request after each
committed batch (``store.cancel_requested``) and ends ``cancelled`` there. Rows committed so
far stay, with their undo notes, so ``trellis import undo`` still takes them back. An
import that commits its last batch before it sees the request ends ``done``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.session import import_row
from trellis.platform.imports.store import CANCELLED, CANCELLING, imports_table

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

#: States that end at once when cancelled (no run is writing them).
_IDLE = ("queued", "interrupted")


def cancel_import(runtime: Runtime, call: Call, import_id: int) -> dict[str, Any]:
    """Cancel import ``import_id``; its row afterwards (``cancelled`` or ``cancelling``).

    Raises:
        ImportRefusedError: no such import, or it has ended (done, failed, undone,
            cancelled).
    """
    row = import_row(runtime, call, import_id)
    state = str(row["state"])
    if state == CANCELLING:
        return row
    if state not in (*_IDLE, "running"):
        raise ImportRefusedError(
            Translatable(
                "Import %(id)s is %(state)s: only a queued or running import can be cancelled.",
                id=import_id,
                state=state,
            )
        )
    t = imports_table(call.app.metadata)
    now = runtime.clock.now()
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        # only from the state read: a run that just ended keeps its end
        if state in _IDLE:
            values: dict[str, Any] = {"state": CANCELLED, "finished_at": now}
        else:
            values = {"state": CANCELLING}
        message = Translatable("Cancelled by %(who)s.", who=call.identity.email)
        conn.execute(
            t.update()
            .where(t.c.id == import_id, t.c.state == state)
            .values(updated_at=now, message=message, **values)
        )
    return import_row(runtime, call, import_id)


__all__ = ["cancel_import"]
