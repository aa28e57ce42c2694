"""Load a whole package: read, schema-check, build, cross-check, check expressions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from trellis.metadata.diagnostics import Diagnostic, MetadataError, Severity, did_you_mean
from trellis.metadata.loader._app_checks import check_app
from trellis.metadata.loader._build import build_app, build_entity
from trellis.metadata.loader._calendars import read_calendars
from trellis.metadata.loader._chat import attach_chat
from trellis.metadata.loader._colour_checks import check_option_colours
from trellis.metadata.loader._currency_checks import check_base_currency
from trellis.metadata.loader._dashboard_checks import check_dashboards, check_tile_conditions
from trellis.metadata.loader._dashboards import read_dashboards
from trellis.metadata.loader._demo_spec import demo_spec_diagnostics
from trellis.metadata.loader._documents import read_documents
from trellis.metadata.loader._duplicates import check_duplicates
from trellis.metadata.loader._email_templates import check_email_templates
from trellis.metadata.loader._entity_checks import (
    check_entity,
    check_entity_name,
    check_entity_rename,
    check_references,
)
from trellis.metadata.loader._expressions import (
    ExpressionChecker,
    RuleFileChecker,
    check_expressions,
)
from trellis.metadata.loader._field_checks import check_field
from trellis.metadata.loader._files import (
    APP_FILE,
    KNOWN,
    RULES_DIR,
    digest_files,
    email_template_names,
    entity_files,
    is_ignored,
    read_capped,
    unknown_items,
)
from trellis.metadata.loader._flow_loading import attach_flows, load_flows
from trellis.metadata.loader._formula_deps import formula_cycles
from trellis.metadata.loader._home_checks import attach_home
from trellis.metadata.loader._layout_checks import check_layouts
from trellis.metadata.loader._lines import resolve_lines
from trellis.metadata.loader._locale_checks import (
    check_app_locale,
    check_locale_keys,
    check_option_labels,
)
from trellis.metadata.loader._portals import attach_portals
from trellis.metadata.loader._public import attach_public
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._retention import attach_retention
from trellis.metadata.loader._roles import build_roles, check_roles, read_roles
from trellis.metadata.loader._rollup_checks import check_rollups
from trellis.metadata.loader._schedule_loading import attach_schedules
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader._workflow_checks import check_flow_expressions
from trellis.metadata.loader._workflow_roles import check_transition_roles
from trellis.metadata.loader.yaml_source import (
    MAX_FILE_BYTES,
    YamlDocument,
    load_yaml,
    too_large,
)
from trellis.metadata.model import AppModel, EntityDef, FieldType, RuleSource, SourceSpan


@dataclass(frozen=True, slots=True)
class PackageReport:
    """The outcome of checking a package: the model (None on errors) and every diagnostic."""

    model: AppModel | None
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def errors(self) -> list[Diagnostic]:
        """Diagnostics that block loading."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Diagnostics that do not block loading."""
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]


def display_path(path: str | os.PathLike[str]) -> str:
    """The package path as diagnostics spell it: POSIX, as the caller passed it."""
    return PurePosixPath(Path(os.fspath(path)).as_posix()).as_posix()


def _join(display: str, relative: str) -> str:
    return (PurePosixPath(display) / relative).as_posix()


def _read(root: Path, relative: str, shown: str, report: Report) -> YamlDocument | None:
    """Parse one file; report YAML problems; None when it cannot be parsed at all."""
    try:
        raw = read_capped(root / relative, MAX_FILE_BYTES)
    except OSError as exc:
        report.error("MD001", f"cannot read file: {exc.strerror}", SourceSpan(shown, 1, 1))
        return None
    if raw is None:
        report.extend([too_large(shown)])
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.error("MD001", "the file is not UTF-8 text", SourceSpan(shown, line, 1))
        return None
    try:
        doc = load_yaml(text, shown)
    except MetadataError as exc:
        report.extend(exc.diagnostics)
        return None
    report.extend(doc.diagnostics)
    check_locale_keys(doc.data, doc.positions, report)
    return doc


@dataclass
class _Entities:
    """What reading the entity files produced."""

    built: dict[str, EntityDef] = field(default_factory=dict)
    docs: dict[str, YamlDocument] = field(default_factory=dict)
    #: Entity files that exist but could not be read (no "unknown entity" for them).
    broken: set[str] = field(default_factory=set)


def _read_entities(root: Path, display: str, report: Report) -> _Entities:
    out = _Entities()
    files, others = entity_files(root)
    for other in others:
        message = f"'{other}' is not an entity file (*.yaml); ignored"
        report.warning("MD031", message, SourceSpan(_join(display, other), 1, 1))
    first_file: dict[str, str] = {}
    for entity_file in files:
        shown = _join(display, entity_file.relative)
        stem = entity_file.stem
        doc = _read(root, entity_file.relative, shown, report)
        if doc is None:
            out.broken.add(stem)
            continue
        report.extend(schema_diagnostics("entity", doc.data, doc.positions))
        if not check_entity_name(stem, doc.data, doc.positions, report):
            continue
        if stem in first_file:
            message = f"entity '{stem}' is already defined in {first_file[stem]}"
            report.error("MD013", message, doc.positions.value(()))
            continue
        first_file[stem] = shown
        specs = doc.data.get("fields") if isinstance(doc.data, dict) else None
        for name, spec in (specs if isinstance(specs, dict) else {}).items():
            check_field(name, spec, doc.positions, report)
        check_entity(doc.data, doc.positions, report)
        check_option_labels(doc.data, doc.positions, report)
        check_option_colours(doc.data, doc.positions, report)
        rules = check_duplicates(doc.data, doc.positions, report)
        out.built[stem] = replace(build_entity(stem, doc.data, doc.positions), duplicates=rules)
        out.docs[stem] = doc
    return out


def _unreliable_names(model: AppModel, entities: _Entities) -> dict[str, set[str]]:
    """Per entity: declared fields that were not built, and references to lost entities."""
    out: dict[str, set[str]] = {}
    for name, entity in model.entities.items():
        data: Any = entities.docs[name].data
        specs = data.get("fields") if isinstance(data, dict) else None
        built = {*entity.fields, *entity.lines}  # lines fields are not columns, but built
        names = set(specs) - built if isinstance(specs, dict) else set()
        for f in entity.fields.values():
            targeted = f.type in (FieldType.REFERENCE, FieldType.MANY_TO_MANY)
            if targeted and (f.to is None or f.to not in model.entities):
                names.add(f.name)
            if f.type == FieldType.ANY_REFERENCE and not set(f.targets) <= set(model.entities):
                names.add(f.name)
        out[name] = names
    return out


def _check_cycles(model: AppModel, entities: _Entities, report: Report) -> None:
    for name, entity in model.entities.items():
        positions = entities.docs[name].positions
        for cycle in formula_cycles(entity):
            message = f"field '{cycle[0]}': formula cycle {' -> '.join(cycle)}"
            report.error("MD021", message, positions.anchor(("fields", cycle[0], "formula")))


def _rule_sources(root: Path, display: str, report: Report) -> tuple[RuleSource, ...]:
    """The ``rules/*.rules`` files; their meaning is checked by the rule layer."""
    folder = root / RULES_DIR
    if not folder.is_dir():
        return ()
    sources: list[RuleSource] = []
    for file in sorted(folder.iterdir()):
        if is_ignored(file) or not file.is_file():
            continue
        shown = _join(display, f"{RULES_DIR}/{file.name}")
        if file.suffix != ".rules":
            report.warning(
                "MD031",
                f"unknown item '{RULES_DIR}/{file.name}': rule files end in .rules; ignored",
                SourceSpan(shown, 1, 1),
            )
            continue
        try:
            raw = read_capped(file, MAX_FILE_BYTES)
            text = None if raw is None else raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.error("MD001", f"cannot read the rule file: {exc}", SourceSpan(shown, 1, 1))
            continue
        if text is None:
            report.extend([too_large(shown)])
            continue
        sources.append(RuleSource(shown, text))
    return tuple(sources)


def _digest(root: Path, display: str, report: Report) -> str:
    try:
        return digest_files(root)
    except OSError as exc:
        # Reading every file for the digest can meet one that cannot be read.
        shown = display
        if exc.filename and Path(exc.filename).is_relative_to(root):
            shown = _join(display, Path(exc.filename).relative_to(root).as_posix())
        report.error("MD001", f"cannot read file: {exc.strerror}", SourceSpan(shown, 1, 1))
        return ""


def validate_package(
    path: str | os.PathLike[str], *, checker: ExpressionChecker | None = None
) -> PackageReport:
    """Check the package at ``path`` and return its model with every diagnostic.

    Never raises for problems in the package; the model is None when any error was
    found. Diagnostic paths start with ``path`` as given.
    """
    display = display_path(path)
    root = Path(path)
    report = Report()
    if not root.is_dir():
        report.error("MD030", "not a package: no such folder", SourceSpan(display, 1, 1))
        return PackageReport(None, tuple(report.items))
    app_shown = _join(display, APP_FILE)
    if not (root / APP_FILE).is_file():
        report.error("MD030", "not a package: app.yaml is missing", SourceSpan(app_shown, 1, 1))
        return PackageReport(None, tuple(report.items))
    app_doc = _read(root, APP_FILE, app_shown, report)
    if app_doc is not None:
        report.extend(schema_diagnostics("app", app_doc.data, app_doc.positions))
        check_app(app_doc.data, app_doc.positions, report)
        check_base_currency(app_doc.data, app_doc.positions, report)
        check_app_locale(app_doc.data, app_doc.positions, report)
    for item in unknown_items(root):
        report.warning(
            "MD031",
            f"unknown item '{item}' in the package; ignored",
            SourceSpan(_join(display, item), 1, 1),
            did_you_mean(item, KNOWN),
        )
    entities = _read_entities(root, display, report)
    flows = load_flows(root, display, _read, entities.built, entities.docs, report)
    model = build_app(
        app_doc.data if app_doc is not None else None,
        fallback_name=root.resolve().name,
        source=SourceSpan(app_shown, 1, 1),
        entities=entities.built,
        digest=_digest(root, display, report),
    )
    # References and expressions need every entity built first.
    for name, entity in model.entities.items():
        doc = entities.docs[name]
        check_references(model, entity, doc.data, doc.positions, entities.broken, report)
        check_entity_rename(model, entity, doc.positions, report)
        check_rollups(model, entity, doc.positions, report)
        check_layouts(name, entities.docs, entities.broken, report)
    _check_cycles(model, entities, report)
    at = {name: doc.positions for name, doc in entities.docs.items()}
    model = resolve_lines(model, at, entities.broken, report)
    # Before any expression is checked: business_hours_between() names calendars.
    calendars = read_calendars(root, display, _read, report, model.timezone)
    model = replace(model, calendars=MappingProxyType(calendars))
    model = attach_flows(model, flows, entities.docs, entities.broken, report)
    model = replace(
        model,
        rule_sources=_rule_sources(root, display, report),
        email_templates=email_template_names(root),
    )
    check_email_templates(root, display, report)
    roles_doc = read_roles(root, display, _read, report)
    if roles_doc is not None:
        model = replace(model, roles=MappingProxyType(build_roles(roles_doc, report)))
        check_roles(model, roles_doc, entities.broken, checker, report)
        check_transition_roles(model, flows, report)
    dashboards = read_dashboards(root, display, _read, report)
    model = replace(model, dashboards=MappingProxyType(dashboards.built))
    check_dashboards(model, dashboards, entities.docs, entities.broken, report)
    model = attach_schedules(model, root, display, _read, checker, report)
    documents = read_documents(model, root, display, _read, report)
    model = replace(model, documents=MappingProxyType(documents))
    model = attach_public(model, root, display, _read, report)
    model = attach_portals(model, root, display, _read, report)
    if app_doc is not None:
        model = attach_home(model, app_doc.data, app_doc.positions, report)
        model = attach_retention(model, app_doc.data, app_doc.positions, checker, report)
        model = attach_chat(model, app_doc.data, app_doc.positions, report)
    if not report.has_errors:
        report.extend(demo_spec_diagnostics(root, display, model))
    if checker is not None:
        check_expressions(model, checker, _unreliable_names(model, entities), report)
        check_flow_expressions(model, checker, _unreliable_names(model, entities), report)
        check_tile_conditions(model, checker, _unreliable_names(model, entities), report)
        if isinstance(checker, RuleFileChecker) and not report.has_errors:
            report.extend(checker.check_rule_files(model))
    diagnostics = tuple(sorted(report.items, key=Diagnostic.sort_key))
    return PackageReport(None if report.has_errors else model, diagnostics)


def load_package(
    path: str | os.PathLike[str], *, checker: ExpressionChecker | None = None
) -> AppModel:
    """Load the package at ``path`` into a frozen :class:`AppModel`.

    Warnings are dropped; use :func:`validate_package` to see them.

    Raises:
        MetadataError: with every diagnostic (warnings included) when any error was found.
    """
    result = validate_package(path, checker=checker)
    if result.model is None:
        raise MetadataError(result.diagnostics)
    return result.model


def package_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) over the relative paths and contents of every package file.

    Hidden items, ``__pycache__`` and Python files are not package content.

    Raises:
        MetadataError: MD030 when ``path`` is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        span = SourceSpan(display_path(path), 1, 1)
        raise MetadataError([Diagnostic("MD030", "not a package: no such folder", span)])
    return digest_files(root)


__all__ = ["PackageReport", "load_package", "package_digest", "validate_package"]
