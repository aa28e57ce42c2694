"""Retention rules of app.yaml: records matching a condition anonymised or deleted daily."""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: What a rule does to the records it matches.
RETENTION_ACTIONS = ("anonymise", "delete")


@dataclass(frozen=True, slots=True)
class RetentionRuleDef:
    """``{name, entity, when, action}``: ``when`` is a rule-language condition over the
    entity (with an SQL form); ``action`` is ``anonymise`` or ``delete``."""

    name: str
    entity: str
    when: str
    action: str
    when_source: SourceSpan = UNKNOWN_SOURCE
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["RETENTION_ACTIONS", "RetentionRuleDef"]
