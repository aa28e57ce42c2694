"""Rollup fields kept correct in the saving transaction (see :mod:`.hook`).

When a child record is created, changed, re-parented or deleted, every rollup that
aggregates that child entity is recomputed in SQL for the old and the new parent,
and stored on the parent through the record service.
"""

from __future__ import annotations

from trellis.platform.rollups.hook import CompiledRollup, RollupHook, rollup_hook

__all__ = ["CompiledRollup", "RollupHook", "rollup_hook"]
