"""Trigger rules: ``rules/*.rules`` files parsed, checked against the metadata, compiled.

Example::

    rules = compile_rules(model)        # once per metadata version
    for rule in rules: ...               # the runtime (platform.triggers) runs them

A compiled rule's actions are frozen dataclasses, one per kind (``SetAction``,
``RejectAction``, …, joined as ``Action``), dispatched with ``match``. Diagnostic
codes are listed in :mod:`trellis.rules.triggers.codes`.
"""

from __future__ import annotations

from trellis.rules.triggers.actions import (
    Action,
    AssignAction,
    CreateAction,
    EmailAction,
    EscalateAction,
    NotifyAction,
    RecordAction,
    RejectAction,
    SetAction,
    TransitionAction,
    UpdateAction,
    WebhookAction,
)
from trellis.rules.triggers.checker import TEMPLATES
from trellis.rules.triggers.compiled import CompiledRule
from trellis.rules.triggers.errors import RuleFileError
from trellis.rules.triggers.files import check_rule_source, check_rules, compile_rules
from trellis.rules.triggers.kinds import ActionKind, Phase, Strategy
from trellis.rules.triggers.parser import parse_rules

__all__ = [
    "TEMPLATES",
    "Action",
    "ActionKind",
    "AssignAction",
    "CompiledRule",
    "CreateAction",
    "EmailAction",
    "EscalateAction",
    "NotifyAction",
    "Phase",
    "RecordAction",
    "RejectAction",
    "RuleFileError",
    "SetAction",
    "Strategy",
    "TransitionAction",
    "UpdateAction",
    "WebhookAction",
    "check_rule_source",
    "check_rules",
    "compile_rules",
    "parse_rules",
]
