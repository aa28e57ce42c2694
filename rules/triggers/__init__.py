"""Trigger rules: ``rules/*.rules`` files parsed, checked against the metadata, compiled.

Example::

    rules = compile_rules(model)        # once per metadata version
    for rule in rules: ...               # the runtime (platform.triggers) runs them

Diagnostic codes are listed in :mod:`trellis.rules.triggers.codes`.
"""

from __future__ import annotations

from trellis.rules.triggers.checker import TEMPLATES
from trellis.rules.triggers.compiled import (
    AFTER,
    BEFORE,
    TIMER,
    CompiledAction,
    CompiledRule,
)
from trellis.rules.triggers.errors import RuleFileError
from trellis.rules.triggers.files import check_rule_source, check_rules, compile_rules
from trellis.rules.triggers.parser import parse_rules

__all__ = [
    "AFTER",
    "BEFORE",
    "TEMPLATES",
    "TIMER",
    "CompiledAction",
    "CompiledRule",
    "RuleFileError",
    "check_rule_source",
    "check_rules",
    "compile_rules",
    "parse_rules",
]
