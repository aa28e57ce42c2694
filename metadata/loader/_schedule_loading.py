"""Read ``sla/<entity>.yaml`` and ``reminders/<entity>.yaml`` and check them.

Each file is checked against its meta-schema, then against the model. Codes:
MD130 (the file names an unknown entity, or its ``entity`` key differs from the file
name), MD131 (an unknown field), MD132 (a field of the wrong type: the priority is
not an enum, the start or reminder field not a date, the breach field not a boolean,
``notify`` not ``owner`` or a user field), MD133 (an SLA's ``hours`` name a value
that is not an option of the priority field), MD134 (a ``met_when``, ``pause_when`` or
``cancel_when`` condition refused by the rule checker) and MD135 (``email`` names no
``email_templates/<name>.j2``); a reminder's per-locale ``text`` naming an unknown
locale is MD200, as for labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from trellis.metadata.diagnostics import Severity, did_you_mean
from trellis.metadata.loader._expressions import ExpressionChecker
from trellis.metadata.loader._files import ENTITY_SUFFIXES, is_ignored
from trellis.metadata.loader._locale_checks import check_local_text
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    FIELD_TYPES,
    AppModel,
    DslType,
    EntityDef,
    FieldType,
    ReminderDef,
    SlaDef,
    SlaTargetDef,
    SourceSpan,
)
from trellis.metadata.model.local_text import local_text
from trellis.metadata.model.schedules import DEFAULT_REMINDER_TEXT

Reader = Callable[[Path, str, str, Report], YamlDocument | None]
SLA_DIR = "sla"
REMINDER_DIR = "reminders"
_DATE_STANDARD = ("created_at", "updated_at")


def documents(
    root: Path, display: str, folder: str, schema: str, read: Reader, report: Report
) -> dict[str, YamlDocument]:
    """Schema-valid documents of ``folder`` by file stem."""
    base = root / folder
    docs: dict[str, YamlDocument] = {}
    if not base.is_dir():
        return docs
    for entry in sorted(base.iterdir()):
        if is_ignored(entry):
            continue
        relative = entry.relative_to(root).as_posix()
        shown = (PurePosixPath(display) / relative).as_posix()
        if not (entry.is_file() and entry.suffix in ENTITY_SUFFIXES):
            report.warning("MD031", f"'{relative}' is not a {schema} file (*.yaml); ignored",
                           SourceSpan(shown, 1, 1))  # fmt: skip
            continue
        doc = read(root, relative, shown, report)
        if doc is None:
            continue
        problems = schema_diagnostics(schema, doc.data, doc.positions)
        report.extend(problems)
        failed = any(p.severity is Severity.ERROR for p in problems)
        if not failed and isinstance(doc.data, dict):
            docs[entry.stem] = doc
    return docs


class _Checks:
    """Cross-checks of one document against the model."""

    def __init__(self, model: AppModel, doc: YamlDocument, report: Report) -> None:
        self.model = model
        self.positions: PositionMap = doc.positions
        self.report = report
        self.ok = True

    def error(self, code: str, message: str, path: NodePath, hint: str | None = None) -> None:
        self.ok = False
        self.report.error(code, message, self.positions.anchor(path), hint)

    def entity(self, stem: str, data: Mapping[str, Any], what: str) -> EntityDef | None:
        declared = data.get("entity")
        if isinstance(declared, str) and declared != stem:
            self.error("MD130", f"{what}: 'entity' is '{declared}' but the file is '{stem}'",
                       ("entity",), stem)  # fmt: skip
            return None
        entity = self.model.entities.get(stem)
        if entity is None:
            hint = did_you_mean(stem, self.model.entities)
            self.error("MD130", f"{what} for unknown entity '{stem}'", (), hint)
        return entity

    def field_type(self, entity: EntityDef, name: str, path: NodePath) -> FieldType | None:
        """The field's type (``datetime`` for created_at/updated_at), or None (reported)."""
        if name in _DATE_STANDARD:
            return FieldType.DATETIME
        f = entity.fields.get(name)
        if f is None:
            hint = did_you_mean(name, [*entity.fields, *_DATE_STANDARD])
            self.error("MD131", f"unknown field '{name}' of entity '{entity.name}'", path, hint)
            return None
        return f.type

    def dated(self, entity: EntityDef, name: str, path: NodePath) -> None:
        kind = self.field_type(entity, name, path)
        if kind is not None and FIELD_TYPES[kind].dsl_type not in (DslType.DATE, DslType.DATETIME):
            self.error("MD132", f"'{name}' is a {kind} field; a date or datetime is needed", path)

    def recipient(self, entity: EntityDef, name: str, path: NodePath) -> None:
        if name == "owner":
            return
        kind = self.field_type(entity, name, path)
        if kind is not None and kind != FieldType.USER:
            self.error("MD132", f"notify '{name}' is a {kind} field; use owner or a user field",
                       path)  # fmt: skip

    def template(self, name: str | None, path: NodePath) -> None:
        if name is not None and name not in self.model.email_templates:
            hint = did_you_mean(name, self.model.email_templates)
            self.error("MD135", f"no email template 'email_templates/{name}.j2'", path, hint)

    def condition(
        self,
        entity: EntityDef,
        text: str,
        path: NodePath,
        checker: ExpressionChecker | None,
    ) -> None:
        if checker is None:
            return
        span = self.positions.content(path)
        for d in checker.check(text, entity, self.model, expected=DslType.BOOLEAN, span=span):
            if d.severity is Severity.ERROR:
                self.ok = False
                self.report.error("MD134", f"{path[-1]}: {d.message} [{d.code}]", d.span,
                                  d.suggestion)  # fmt: skip


def _sla(
    stem: str, doc: YamlDocument, model: AppModel, checker: ExpressionChecker | None, report: Report
) -> SlaDef | None:
    data: Mapping[str, Any] = doc.data
    check = _Checks(model, doc, report)
    entity = check.entity(stem, data, "SLA")
    if entity is None:
        return None
    priority = str(data["priority_field"])
    kind = check.field_type(entity, priority, ("priority_field",))
    options: tuple[str, ...] = ()
    if kind is not None and kind != FieldType.ENUM:
        check.error("MD132", f"priority_field '{priority}' is a {kind} field; use an enum",
                    ("priority_field",))  # fmt: skip
    elif kind is not None:
        options = tuple(str(o) for o in entity.fields[priority].options or ())
    start = str(data.get("start_field", "created_at"))
    check.dated(entity, start, ("start_field",))
    targets: list[SlaTargetDef] = []
    misspelt = False
    for name, target in dict(data["targets"]).items():
        path: NodePath = ("targets", name)
        hours = {str(k): float(v) for k, v in dict(target["hours"]).items()}
        for option in hours:
            if options and option not in options:
                check.error("MD133", f"target '{name}': '{option}' is not an option of "
                            f"'{priority}'", (*path, "hours", option),
                            did_you_mean(option, options))  # fmt: skip
                misspelt = True
        check.condition(entity, str(target["met_when"]), (*path, "met_when"), checker)
        calendar = target.get("calendar", data.get("calendar"))
        if isinstance(calendar, str) and calendar not in model.calendars:
            where = (*path, "calendar") if "calendar" in target else ("calendar",)
            check.error("MD275", f"unknown calendar '{calendar}' (no calendars/{calendar}.yaml)",
                        where, did_you_mean(calendar, model.calendars))  # fmt: skip
        targets.append(
            SlaTargetDef(
                name=str(name),
                met_when=str(target["met_when"]),
                hours=MappingProxyType(hours),
                met_when_source=doc.positions.content((*path, "met_when")),
                source=doc.positions.anchor(path),
                calendar=calendar if isinstance(calendar, str) else None,
            )
        )
    if not misspelt:  # a misspelt option is the likely missing one: say it once
        _every_priority_has_targets(check, dict(data["targets"]), priority, options)
    breach: Mapping[str, Any] = data.get("on_breach") or {}
    field = breach.get("set_field")
    if isinstance(field, str):
        found = check.field_type(entity, field, ("on_breach", "set_field"))
        if found is not None and found != FieldType.BOOLEAN:
            check.error("MD132", f"set_field '{field}' is a {found} field; use a boolean",
                        ("on_breach", "set_field"))  # fmt: skip
    notify = breach.get("notify")
    if isinstance(notify, str):
        check.recipient(entity, notify, ("on_breach", "notify"))
    check.template(breach.get("email"), ("on_breach", "email"))
    warning: Mapping[str, Any] = data.get("on_warning") or {}
    warn_notify = str(warning.get("notify", "owner")) if warning else None
    if warn_notify is not None:
        check.recipient(entity, warn_notify, ("on_warning", "notify"))
    check.template(warning.get("email"), ("on_warning", "email"))
    pause = data.get("pause_when")
    if isinstance(pause, str):
        check.condition(entity, pause, ("pause_when",), checker)
    if not check.ok:
        return None
    return SlaDef(
        entity=stem,
        priority_field=priority,
        targets=tuple(targets),
        start_field=start,
        breach_field=field if isinstance(field, str) else None,
        notify=notify if isinstance(notify, str) else None,
        email=breach.get("email"),
        escalate_to=breach.get("escalate_to_role"),
        source=doc.positions.anchor(()),
        warn_at=int(warning["at_percent"]) / 100 if warning else None,
        warn_notify=warn_notify,
        warn_email=warning.get("email"),
        pause_when=pause if isinstance(pause, str) else None,
        pause_when_source=doc.positions.content(("pause_when",)) if pause else None,
    )


def _every_priority_has_targets(
    check: _Checks, targets: Mapping[str, Any], priority: str, options: tuple[str, ...]
) -> None:
    """A priority option that no target gives hours to would never be timed (MD137)."""
    timed = {str(k) for target in targets.values() for k in dict(target["hours"])}
    first = next(iter(targets), None)
    for option in options:
        if option in timed or first is None:
            continue
        check.error(
            "MD137",
            f"priority '{option}' of '{priority}' has no SLA target; add "
            f"'{option}: <hours>' to the hours of a target (e.g. '{first}')",
            ("targets", first, "hours"),
        )


def _reminder(
    stem: str, doc: YamlDocument, model: AppModel, checker: ExpressionChecker | None, report: Report
) -> ReminderDef | None:
    data: Mapping[str, Any] = doc.data
    check = _Checks(model, doc, report)
    entity = check.entity(stem, data, "reminder")
    if entity is None:
        return None
    field = str(data["field"])
    check.dated(entity, field, ("field",))
    notify = str(data.get("notify", "owner"))
    check.recipient(entity, notify, ("notify",))
    check.template(data.get("email"), ("email",))
    check_local_text(data.get("text"), ("text",), doc.positions, report)
    cancel = data.get("cancel_when")
    if isinstance(cancel, str):
        check.condition(entity, cancel, ("cancel_when",), checker)
    if not check.ok:
        return None
    return ReminderDef(
        entity=stem,
        field=field,
        notify=notify,
        text=local_text(data.get("text")) or DEFAULT_REMINDER_TEXT,
        email=data.get("email"),
        cancel_when=cancel if isinstance(cancel, str) else None,
        cancel_when_source=doc.positions.content(("cancel_when",))
        if isinstance(cancel, str)
        else None,
        source=doc.positions.anchor(()),
    )


def attach_schedules(
    model: AppModel,
    root: Path,
    display: str,
    read: Reader,
    checker: ExpressionChecker | None,
    report: Report,
) -> AppModel:
    """Read, check and attach the package's SLA and reminder files to ``model``."""
    slas: dict[str, SlaDef] = {}
    for stem, doc in documents(root, display, SLA_DIR, "sla", read, report).items():
        sla = _sla(stem, doc, model, checker, report)
        if sla is not None:
            slas[stem] = sla
    reminders: dict[str, ReminderDef] = {}
    for stem, doc in documents(root, display, REMINDER_DIR, "reminder", read, report).items():
        reminder = _reminder(stem, doc, model, checker, report)
        if reminder is not None:
            reminders[stem] = reminder
    if not slas and not reminders:
        return model
    return replace(model, slas=MappingProxyType(slas), reminders=MappingProxyType(reminders))


__all__ = ["REMINDER_DIR", "SLA_DIR", "attach_schedules", "documents"]
