"""Trigger rules at run time: the save hook, its tables and the member lookup."""

from __future__ import annotations

from trellis.platform.triggers._store import RuleStore, list_runs
from trellis.platform.triggers.hook import TriggerHook, trigger_hook
from trellis.platform.triggers.members import member_lookup

__all__ = [
    "RuleStore",
    "TriggerHook",
    "list_runs",
    "member_lookup",
    "trigger_hook",
]
