"""Frozen definitions of an app package: entities, fields, indexes, validations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from trellis.metadata.model.calendars import CalendarDef
from trellis.metadata.model.chat import ChatDef
from trellis.metadata.model.dashboards import DashboardDef
from trellis.metadata.model.documents import DocumentDef
from trellis.metadata.model.duplicates import DuplicateRuleDef
from trellis.metadata.model.home import HomePanelDef
from trellis.metadata.model.layouts import LayoutsDef
from trellis.metadata.model.lines import LinesDef
from trellis.metadata.model.portals import PortalDef
from trellis.metadata.model.public import FormDef, LinkDef
from trellis.metadata.model.retention import RetentionRuleDef
from trellis.metadata.model.roles import RoleDef
from trellis.metadata.model.schedules import ReminderDef, SlaDef
from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan
from trellis.metadata.model.type_names import FieldType

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RollupDef:
    """An aggregate over child records: ``rollup: {from: line.quote, agg: sum, field: total}``.

    ``entity`` is the child entity and ``via`` its reference field that points at the
    record holding the rollup.
    """

    entity: str
    via: str
    agg: str
    field: str | None = None
    where: str | None = None
    where_source: SourceSpan | None = None
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One declared field of an entity.

    ``formula`` and ``default`` hold rule-language source text; the source spans
    point at the YAML scalar so expression errors can be placed exactly.
    """

    name: str
    type: FieldType
    label: str
    required: bool = False
    unique: bool = False
    indexed: bool = False
    #: ``indexed: trigram``: a pg_trgm GIN index on the lowercased text, serving
    #: ``contains``/``starts_with``/``ends_with`` on PostgreSQL (none on SQLite).
    trigram: bool = False
    max_length: int | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    scale: int | None = None
    options: tuple[str, ...] = ()
    #: ``option_labels:``: an option's label (a plain string or a LocalText), by option.
    option_labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: ``option_colours:``: an option's badge colour (one of ``BADGE_COLOURS``), by option.
    option_colours: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    to: str | None = None
    #: ``restrict``, ``set_null``, ``cascade``; ``none`` when not declared (children kept as is).
    on_delete: str = "none"
    #: ``pii: true``: personal data (person export and erasure; see ``is_personal``).
    pii: bool = False
    #: ``encrypted: true``: stored encrypted at rest, found by exact match only.
    encrypted: bool = False
    default: str | None = None
    formula: str | None = None
    autonumber_format: str | None = None
    renamed_from: str | None = None
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    default_source: SourceSpan | None = None
    formula_source: SourceSpan | None = None
    #: For money fields: the enum/string field holding the currency code.
    currency_field: str | None = None
    #: For money fields with a currency field: the date whose exchange rate converts the
    #: amount to the base currency: ``today``, a standard or declared date(time) column;
    #: None means ``created_at``.
    rate_date: str | None = None
    #: For pipeline fields: the pipeline whose stage names the loader puts in ``options``.
    pipeline: str | None = None
    #: For ``any_reference`` fields: the entities a value may point at.
    targets: tuple[str, ...] = ()

    rollup: RollupDef | None = None
    #: For rollups: readable by every role that reads the entity, whatever its scope on
    #: the children (by default only roles that reach every child read a rollup).
    visible_to_all: bool = False
    #: Conditional rules: expression source text, e.g. ``required_when: 'stage == "won"'``.
    required_when: str | None = None
    visible_when: str | None = None
    readonly_when: str | None = None
    #: Where each conditional rule's expression starts, by key (``required_when`` …).
    condition_sources: Mapping[str, SourceSpan] = field(default_factory=lambda: _EMPTY)
    #: For file fields: many files (a list) instead of one.
    multiple: bool = False
    #: For file fields: a new upload keeps the earlier files as versions.
    versioned: bool = False
    #: For file fields: the largest upload in MiB (None: the deployment's limit).
    max_size_mb: int | None = None
    #: For string and text fields: the entity whose records the value (a rule-language
    #: filter) selects; the filter is checked against that entity on every save.
    filter_of: str | None = None

    def __post_init__(self) -> None:
        # A definition built in code may name its type as text: ``FieldDef("n", "money", …)``.
        if type(self.type) is not FieldType:
            object.__setattr__(self, "type", FieldType(self.type))

    @property
    def computed(self) -> bool:
        """True when the platform, not the client, writes this field."""
        return (
            self.formula is not None
            or self.rollup is not None
            or self.type in (FieldType.AUTONUMBER, FieldType.FILE)
        )

    def option_label(self, option: str) -> str:
        """The declared label of ``option`` (maybe a LocalText), else the option itself."""
        return self.option_labels.get(option, option)

    def conditions(self) -> dict[str, str]:
        """The conditional rules this field declares, by key."""
        pairs = (
            ("required_when", self.required_when),
            ("visible_when", self.visible_when),
            ("readonly_when", self.readonly_when),
        )
        return {key: text for key, text in pairs if text}


@dataclass(frozen=True, slots=True)
class ValidationDef:
    """A rule that marks a record invalid when ``when`` is true."""

    when: str
    message: str
    field: str | None
    source: SourceSpan = UNKNOWN_SOURCE
    when_source: SourceSpan | None = None


@dataclass(frozen=True, slots=True)
class IndexDef:
    """A declared index over one or more fields."""

    fields: tuple[str, ...]
    unique: bool = False
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class ActivityDef:
    """The ``activity_fields:`` block: the entity's records are activities about other records.

    They show in the timeline of every record they reference; ``kind`` names an enum
    field saying what each one is (a call, a meeting), ``done`` a boolean field shown as
    done or open, and ``date`` the date or datetime field that places them on the calendar.
    """

    kind: str | None = None
    done: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class EntityDef:
    """One entity: a table, an API resource and (later) a set of screens."""

    name: str
    label: str
    plural_label: str
    fields: Mapping[str, FieldDef]
    title: str | None = None
    search: tuple[str, ...] = ()
    validations: tuple[ValidationDef, ...] = ()
    indexes: tuple[IndexDef, ...] = ()
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    #: The ``layouts:`` section; None when the screens generate every layout.
    layouts: LayoutsDef | None = None
    #: The ``activity_fields:`` block; None when the records are not activities.
    activity: ActivityDef | None = None
    #: ``lines`` fields (child records saved with this one) by name; not columns.
    lines: Mapping[str, LinesDef] = field(default_factory=lambda: _EMPTY)
    #: The ``duplicates:`` rules (docs/duplicates.md), in file order.
    duplicates: tuple[DuplicateRuleDef, ...] = ()
    #: ``renamed_from:``: the entity's former name (its table is renamed in place).
    renamed_from: str | None = None

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is a declared field (standard columns excluded)."""
        return name in self.fields

    def field(self, name: str) -> FieldDef:
        """Return the declared field ``name``; raises ``KeyError`` if unknown."""
        return self.fields[name]


@dataclass(frozen=True, slots=True)
class StageDef:
    """One stage of a pipeline; ``probability`` is a percentage (0-100)."""

    name: str
    label: str
    probability: Decimal
    won: bool = False
    lost: bool = False
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    #: The stage's badge colour (one of ``BADGE_COLOURS``), or None.
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class PipelineDef:
    """An ordered set of stages (``pipelines/<name>.yaml``), bound to ``pipeline`` fields."""

    name: str
    label: str
    stages: tuple[StageDef, ...]
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The stage names, in order."""
        return tuple(s.name for s in self.stages)

    def stage(self, name: str) -> StageDef | None:
        """The stage called ``name``, or None."""
        return next((s for s in self.stages if s.name == name), None)


@dataclass(frozen=True, slots=True)
class TransitionDef:
    """A move between workflow states.

    ``guard`` and the ``on_enter_set`` values are rule-language source text; the
    transition is refused while the guard is false, and ``required`` fields must
    not be empty. With ``approval_role`` the move waits for a user with that role;
    with ``approval_when`` too, only while that condition is true of the record.
    """

    name: str
    label: str
    from_states: tuple[str, ...]
    to: str
    roles: tuple[str, ...] = ()
    guard: str | None = None
    guard_source: SourceSpan | None = None
    message: str | None = None
    required: tuple[str, ...] = ()
    approval_role: str | None = None
    #: ``approval: {when: …}``: the approval is needed only while this is true.
    approval_when: str | None = None
    approval_when_source: SourceSpan | None = None
    #: ``on_enter: {set: {field: expression}}``: field -> expression source.
    on_enter_set: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    on_enter_sources: Mapping[str, SourceSpan] = field(default_factory=lambda: _EMPTY)
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class WorkflowDef:
    """A state machine on an enum field (``workflows/<name>.yaml``)."""

    name: str
    label: str
    entity: str
    field: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[TransitionDef, ...]
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    #: ``done:`` states in which a record no longer counts as open work (load-balanced
    #: assignment, "assigned to me"); empty: the states no transition leaves.
    done_states: tuple[str, ...] = ()

    def transition(self, name: str) -> TransitionDef | None:
        """The transition called ``name``, or None."""
        return next((t for t in self.transitions if t.name == name), None)


@dataclass(frozen=True, slots=True)
class RuleSource:
    """The text of one ``rules/*.rules`` file, checked and compiled by the rule layer."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class AppModel:
    """A whole compiled app package, immutable and safe to share between threads."""

    name: str
    version: str
    label: str
    entities: Mapping[str, EntityDef]
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    digest: str = ""
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: ``rules/*.rules`` files, sorted by path.
    rule_sources: tuple[RuleSource, ...] = ()
    #: Packages this one needs: package name -> version constraint (e.g. ``">=0.1"``).
    requires: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: ``pipelines/*.yaml`` by name.
    pipelines: Mapping[str, PipelineDef] = field(default_factory=lambda: _EMPTY)
    #: ``workflows/*.yaml`` by name.
    workflows: Mapping[str, WorkflowDef] = field(default_factory=lambda: _EMPTY)
    #: ``roles.yaml`` by role name (``admin`` is built in and never listed).
    roles: Mapping[str, RoleDef] = field(default_factory=lambda: _EMPTY)
    #: ``dashboards/*.yaml`` by name.
    dashboards: Mapping[str, DashboardDef] = field(default_factory=lambda: _EMPTY)
    #: Names of the ``email_templates/<name>.j2`` files, sorted (``send email "<name>"``).
    email_templates: tuple[str, ...] = ()
    #: ``sla/<entity>.yaml`` by entity.
    slas: Mapping[str, SlaDef] = field(default_factory=lambda: _EMPTY)
    #: ``reminders/<entity>.yaml`` by entity.
    reminders: Mapping[str, ReminderDef] = field(default_factory=lambda: _EMPTY)
    #: ``calendars/<name>.yaml`` (business hours) by name.
    calendars: Mapping[str, CalendarDef] = field(default_factory=lambda: _EMPTY)
    #: IANA time zone of ``every "<cron>"`` rules (``app.yaml`` ``timezone``).
    timezone: str = "UTC"
    #: The tenant's default locale (``app.yaml`` ``locale``: ``en`` or ``es``); None when
    #: not declared (then the browser's Accept-Language chooses).
    locale: str | None = None
    #: ``app.yaml`` ``two_factor: required``: members must turn TOTP on to use screens
    #: and API tokens.
    two_factor_required: bool = False
    #: ``documents/<name>.html.j2`` (with ``<name>.yaml``) by name.
    documents: Mapping[str, DocumentDef] = field(default_factory=lambda: _EMPTY)
    #: ``forms/<name>.yaml`` (public forms) by name.
    forms: Mapping[str, FormDef] = field(default_factory=lambda: _EMPTY)
    #: ``links/<name>.yaml`` (kinds of signed links) by name.
    links: Mapping[str, LinkDef] = field(default_factory=lambda: _EMPTY)
    #: ``portals/<name>.yaml`` (public searchable listings) by name.
    portals: Mapping[str, PortalDef] = field(default_factory=lambda: _EMPTY)
    #: ``app.yaml`` ``currency``: the base currency (ISO 4217) money converts to; None
    #: when the package declares none (amounts in different currencies never add up).
    currency: str | None = None
    #: ``app.yaml`` ``home:`` panels in order; None when not declared (the home page
    #: derives its panels from what the app declares).
    home: tuple[HomePanelDef, ...] | None = None
    #: ``app.yaml`` ``retention:`` rules, in order (platform/privacy/retention.py).
    retention: tuple[RetentionRuleDef, ...] = ()
    #: ``app.yaml`` ``chat:``: the live chat (widget, queue); None when not declared.
    chat: ChatDef | None = None

    def entity(self, name: str) -> EntityDef:
        """Return entity ``name``; raises ``KeyError`` if unknown."""
        return self.entities[name]

    def has_entity(self, name: str) -> bool:
        """Whether the package declares entity ``name``."""
        return name in self.entities

    def documents_of(self, entity: str) -> tuple[DocumentDef, ...]:
        """The documents declared for ``entity``, by name."""
        return tuple(d for _, d in sorted(self.documents.items()) if d.entity == entity)

    def line_owner(self, entity: str) -> tuple[EntityDef, LinesDef] | None:
        """The parent entity and ``lines`` field whose lines are records of ``entity``."""
        for parent in self.entities.values():
            for lines in parent.lines.values():
                if lines.entity == entity:
                    return parent, lines
        return None

    def workflows_of(self, entity: str) -> tuple[WorkflowDef, ...]:
        """The workflows declared on ``entity``, by name."""
        return tuple(w for w in self.workflows.values() if w.entity == entity)
