"""The wizard's mapping step: which column fills which field, what is missing, a preview.

The map is completed the way every import completes it (``guess_map``: name, label,
similarity), checked the way the run checks it (``check_options``, ``check_map``), and
the first rows are converted by the importer's own converter, so the preview shows
each cell as the run will see it, or the error it will report. Nothing is written: a
reference to be created is only announced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trellis.metadata.model import FieldDef
from trellis.platform.automation import record_service
from trellis.platform.imports.convert import RowConverter
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import ImportMap, check_map, guess_map, importable
from trellis.platform.imports.readers import RowSource
from trellis.platform.imports.references import ReferenceResolver
from trellis.platform.imports.session import check_options
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.save_context import SaveContext
from trellis.ui.screens.import_draft import Draft

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.i18n import Translator
    from trellis.platform.runtime import Runtime

#: Rows the preview converts.
PREVIEW_ROWS = 20


@dataclass(slots=True)
class PreviewRow:
    """One converted row: its line in the file, a (text, error) per mapped column."""

    number: int
    cells: list[tuple[str, str | None]] = field(default_factory=list)
    problem: str | None = None


@dataclass(slots=True)
class Mapping:
    """The mapping step: headers, chosen fields, choices, problems and preview rows."""

    headers: tuple[str, ...]
    imap: ImportMap
    choices: list[tuple[str, str, bool]]
    problems: list[str]
    mapped: list[tuple[str, str]]
    rows: list[PreviewRow]

    @property
    def bad_cells(self) -> int:
        """How many preview cells (or whole rows) have an error."""
        return sum((1 if r.problem else 0) + sum(1 for _t, e in r.cells if e) for r in self.rows)


class _PreviewResolver(ReferenceResolver):
    """Looks targets up like the run; a target the run would create is only marked."""

    def _create(self, entity: str, lookup: str, text: str) -> int:
        return 0


def _text(value: Any, f: FieldDef, cell: Any, t: Translator) -> str:
    if value is None:
        return ""
    if f.to is not None and isinstance(value, int):
        shown = str(cell).strip()
        if value == 0:
            return t.gettext("%(text)s (new)", text=shown)
        return shown if shown != str(value) else f"#{value}"
    if isinstance(value, bool):
        return t.gettext("Yes") if value else t.gettext("No")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def build_mapping(
    runtime: Runtime, call: Call, entity: CompiledEntity, path: Path, draft: Draft, t: Translator
) -> Mapping:
    """Read the draft's file and build its mapping step (blocking: run it in a thread).

    Raises:
        ImportRefusedError: the file cannot be read at all (encoding, headers, format).
    """
    plan = draft.plan(dry_run=True)
    source = RowSource(path, plan.read)
    try:
        hidden = call.access.entity(entity.name).hidden
        imap = guess_map(entity, source.headers, plan.given, hidden)
        problems: list[str] = []
        try:
            check_options(entity, plan.options)
        except ImportRefusedError as exc:
            problems += exc.problems
        try:
            check_map(entity, imap, mode=draft.mode, keys=tuple(draft.keys), hidden=hidden)
        except ImportRefusedError as exc:
            problems += exc.problems
        fields = importable(entity, hidden)
        choices = [
            (name, t.label(f.label), bool(f.required and f.default is None))
            for name, f in fields.items()
        ]
        mapped = [(h, n) for h in source.headers if (n := imap.columns.get(h)) in fields]
        rows = _preview(runtime, call, entity, source, imap, fields, mapped, t)
    finally:
        source.close()
    return Mapping(source.headers, imap, choices, [t.message(p) for p in problems], mapped, rows)


def _preview(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    source: RowSource,
    imap: ImportMap,
    fields: dict[str, FieldDef],
    mapped: list[tuple[str, str]],
    t: Translator,
) -> list[PreviewRow]:
    resolver = _PreviewResolver(call.app, call.access, record_service(call.rt), imap)
    converter = RowConverter(fields, source.headers, imap, resolver)
    index = {h: i for i, h in enumerate(source.headers)}
    rows: list[PreviewRow] = []
    with runtime.engines.tenant_connection(call.tenant) as conn:
        resolver.ctx = SaveContext(conn, call.member, runtime.clock.now(), source="import")
        for row in islice(source.rows(), PREVIEW_ROWS):
            if row.problem is not None:
                rows.append(PreviewRow(row.number, problem=t.message(row.problem)))
                continue
            values, errors = converter.convert(row.cells)
            shown = PreviewRow(row.number)
            for header, name in mapped:
                cell = row.cells[index[header]] if index[header] < len(row.cells) else None
                if name in errors:
                    shown.cells.append((str(cell or ""), t.message(errors[name][0])))
                else:
                    shown.cells.append((_text(values.get(name), fields[name], cell, t), None))
            rows.append(shown)
        resolver.ctx = None
    return rows


__all__ = ["PREVIEW_ROWS", "Mapping", "PreviewRow", "build_mapping"]
