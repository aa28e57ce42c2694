"""The recycle bin: cascade deletes and restores, hard deletes, the retention purge.

Records are soft-deleted by the save pipeline (``deleted_at``); a restore runs the
pipeline's restore steps (``RecordService.restore``). This package keeps what
``on_delete: cascade`` took along, applies ``restrict`` and ``set_null``, removes
records for good (``purge_record``) and runs the retention job (``PurgeFiring``).
"""

from __future__ import annotations

from trellis.platform.recycle.cascade import CascadeHook, CascadeLog, cascade_hook
from trellis.platform.recycle.on_delete import OnDeleteHook, on_delete_hook
from trellis.platform.recycle.purge import Purged, purge_expired, purge_record

__all__ = [
    "CascadeHook",
    "CascadeLog",
    "OnDeleteHook",
    "Purged",
    "cascade_hook",
    "on_delete_hook",
    "purge_expired",
    "purge_record",
]
