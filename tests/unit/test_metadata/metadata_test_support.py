"""Shared helpers for metadata tests: a stand-in expression checker."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.model import STANDARD_COLUMNS, AppModel, DslType, EntityDef, SourceSpan

_TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()')
_WORDS = frozenset({"and", "or", "not", "is", "empty", "in", "true", "false"})


@dataclass
class NameChecker:
    """Flags names that are neither fields, standard columns nor keywords (RL001)."""

    calls: list[tuple[str, str, DslType | None, SourceSpan]] = field(default_factory=list)

    def check(
        self,
        source: str,
        entity: EntityDef,
        model: AppModel,
        *,
        expected: DslType | None,
        span: SourceSpan,
    ) -> list[Diagnostic]:
        self.calls.append((entity.name, source, expected, span))
        known = [*entity.fields, *STANDARD_COLUMNS, *_WORDS]
        out: list[Diagnostic] = []
        for match in _TOKEN.finditer(source):
            name = match.group(1)
            if name is None or name in known:
                continue
            before = source[: match.start()]
            line_offset = before.count("\n")
            col_offset = len(before) - (before.rfind("\n") + 1)
            out.append(
                Diagnostic(
                    "RL001",
                    f"unknown name '{name}'",
                    span.shifted(line_offset, col_offset),
                    did_you_mean(name, list(entity.fields)),
                )
            )
        return out
