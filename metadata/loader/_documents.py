"""Read ``documents/<name>.html.j2`` templates and their ``<name>.yaml`` sidecars.

The sidecar says which entity the template prints (``entity:``, required) and how the
document is labelled (``label:``, text or text per locale). Each template is parsed
and checked against that entity (documents/… errors MD230 to MD235, see CODES.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._build import humanize
from trellis.metadata.loader._document_template import scan_template
from trellis.metadata.loader._entity_checks import NAME, NAME_HINT
from trellis.metadata.loader._files import DOCUMENT_DIR, is_ignored, read_capped
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader.yaml_source import MAX_FILE_BYTES, YamlDocument, too_large
from trellis.metadata.model import (
    STANDARD_COLUMNS,
    AppModel,
    DocumentDef,
    FieldType,
    RelatedSource,
    SourceSpan,
)

TEMPLATE_SUFFIX = ".html.j2"
SIDECAR_SUFFIXES = (".yaml", ".yml")

#: Reads one package file: (root, relative path, path as shown, report) -> document.
Reader = Callable[[Path, str, str, Report], YamlDocument | None]


def _shown(display: str, relative: str) -> str:
    return (PurePosixPath(display) / relative).as_posix()


def _children(model: AppModel, entity: str) -> dict[str, RelatedSource]:
    """``related.<child>``: per child entity, its first reference field to ``entity``."""
    out: dict[str, RelatedSource] = {}
    for name in sorted(model.entities):
        for f in model.entities[name].fields.values():
            if f.type == FieldType.REFERENCE and f.to == entity:
                out[name] = RelatedSource(name, name, f.name)
                break
    return out


def _labels(value: Any, name: str) -> tuple[str, Mapping[str, str]]:
    if isinstance(value, str) and value:
        return value, MappingProxyType({})
    if isinstance(value, dict) and value:
        labels = {str(k): str(v) for k, v in value.items()}
        return labels.get("en", next(iter(labels.values()))), MappingProxyType(labels)
    return humanize(name), MappingProxyType({})


def _template_text(root: Path, relative: str, shown: str, report: Report) -> str | None:
    try:
        raw = read_capped(root / relative, MAX_FILE_BYTES)
        if raw is None:
            report.extend([too_large(shown)])
            return None
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.error("MD001", "the template is not UTF-8 text", SourceSpan(shown, 1, 1))
    except OSError as exc:
        report.error("MD001", f"cannot read file: {exc.strerror}", SourceSpan(shown, 1, 1))
    return None


def _scan_folder(root: Path, display: str, report: Report) -> tuple[dict[str, str], dict[str, str]]:
    """(templates by name, sidecars by name) of ``documents/``; other items are warned about."""
    templates: dict[str, str] = {}
    sidecars: dict[str, str] = {}
    for entry in sorted((root / DOCUMENT_DIR).iterdir()):
        if is_ignored(entry):
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.is_file() and entry.name.endswith(TEMPLATE_SUFFIX):
            templates[entry.name[: -len(TEMPLATE_SUFFIX)]] = relative
        elif entry.is_file() and entry.suffix in SIDECAR_SUFFIXES:
            sidecars.setdefault(entry.stem, relative)
        else:
            message = (
                f"'{relative}' is neither a document template (*.html.j2) nor its "
                "sidecar (*.yaml); ignored"
            )
            report.warning("MD031", message, SourceSpan(_shown(display, relative), 1, 1))
    return templates, sidecars


def read_documents(
    model: AppModel, root: Path, display: str, read: Reader, report: Report
) -> dict[str, DocumentDef]:
    """Every document of the package, checked against ``model``'s entities."""
    if not (root / DOCUMENT_DIR).is_dir():
        return {}
    templates, sidecars = _scan_folder(root, display, report)
    built: dict[str, DocumentDef] = {}
    for name in sorted(set(sidecars) - set(templates)):
        shown = _shown(display, sidecars[name])
        message = f"document '{name}' has no template '{DOCUMENT_DIR}/{name}{TEMPLATE_SUFFIX}'"
        report.error("MD231", message, SourceSpan(shown, 1, 1), did_you_mean(name, templates))
    for name, relative in templates.items():
        document = _read_one(model, root, display, read, report, name, relative, sidecars)
        if document is not None:
            built[name] = document
    return built


def _read_one(
    model: AppModel,
    root: Path,
    display: str,
    read: Reader,
    report: Report,
    name: str,
    relative: str,
    sidecars: Mapping[str, str],
) -> DocumentDef | None:
    shown = _shown(display, relative)
    if not NAME.match(name):
        message = f"file name '{name}' is not a valid document name; expected {NAME_HINT}"
        report.error("MD006", message, SourceSpan(shown, 1, 1))
        return None
    if name not in sidecars:
        message = (
            f"document '{name}' has no sidecar '{DOCUMENT_DIR}/{name}.yaml' naming its "
            "entity (entity: <name>)"
        )
        report.error("MD231", message, SourceSpan(shown, 1, 1))
        return None
    sidecar_shown = _shown(display, sidecars[name])
    doc = read(root, sidecars[name], sidecar_shown, report)
    text = _template_text(root, relative, shown, report)
    if doc is None or text is None:
        return None
    report.extend(schema_diagnostics("document", doc.data, doc.positions))
    data: Any = doc.data if isinstance(doc.data, dict) else {}
    declared = data.get("document")
    if isinstance(declared, str) and declared != name:
        message = f"document '{declared}' does not match its file name '{name}'"
        report.error("MD231", message, doc.positions.value(("document",)), name)
    entity = data.get("entity")
    if not isinstance(entity, str):
        return None
    if entity not in model.entities:
        report.error(
            "MD231",
            f"document '{name}' is for unknown entity '{entity}'",
            doc.positions.value(("entity",)),
            did_you_mean(entity, model.entities),
        )
        return None
    fields = [*STANDARD_COLUMNS, *model.entities[entity].fields]
    children = _children(model, entity)
    scan = scan_template(text, fields=fields, related=children)
    for problem in scan.problems:
        hint = did_you_mean(problem.name, problem.candidates) if problem.name else None
        report.error(
            problem.code, problem.message, SourceSpan(shown, problem.line, problem.col), hint
        )
    keys = sorted(children) if scan.related_whole else sorted(scan.related)
    label, labels = _labels(data.get("label"), name)
    store_in = _store_in(model, entity, name, data.get("store_in"), doc, report)
    return DocumentDef(
        name=name,
        entity=entity,
        label=label,
        labels=labels,
        template=text,
        template_path=relative,
        related=tuple(children[k] for k in keys),
        store_in=store_in,
        source=SourceSpan(shown, 1, 1),
    )


def _store_in(
    model: AppModel, entity: str, name: str, value: Any, doc: YamlDocument, report: Report
) -> str | None:
    """The ``store_in`` field, or ``None`` (MD235 when it is not a versioned or multiple
    file field of ``entity``)."""
    if not isinstance(value, str) or not NAME.match(value):
        return None  # absent, or the schema check reported its form
    fields = model.entities[entity].fields
    keeping = [
        n for n, f in fields.items() if f.type == FieldType.FILE and (f.versioned or f.multiple)
    ]
    found = fields.get(value)
    if found is None:
        problem = f"unknown field '{value}' of entity '{entity}'"
    elif found.type != FieldType.FILE:
        problem = f"field '{value}' is {found.type}, not a versioned file field"
    elif not (found.versioned or found.multiple):
        problem = f"file field '{value}' keeps one file; make it versioned: true"
    else:
        return value
    message = f"document '{name}': store_in: {problem}"
    span = doc.positions.value(("store_in",))
    report.error("MD235", message, span, did_you_mean(value, keeping))
    return None


__all__ = ["DOCUMENT_DIR", "TEMPLATE_SUFFIX", "read_documents"]
