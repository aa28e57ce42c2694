"""Pipelines: stage history written on save, the weighted forecast and stage reports.

``stage_history_hook`` is the save hook (registered in ``trellis.platform.automation``);
``forecast``, ``record_stages`` and ``stage_stats`` answer the API's pipeline queries.
"""

from trellis.platform.pipelines.forecast import forecast
from trellis.platform.pipelines.history import StageHistoryHook, stage_history_hook
from trellis.platform.pipelines.reports import record_stages, stage_stats

__all__ = ["StageHistoryHook", "forecast", "record_stages", "stage_history_hook", "stage_stats"]
