"""The compiled, immutable metadata model: what an app package means once loaded."""

from trellis.metadata.model.coerce import FieldValueError
from trellis.metadata.model.dashboards import (
    CHART_KINDS,
    TILE_AGGREGATES,
    TILE_KINDS,
    TIME_BUCKETS,
    DashboardDef,
    TileDef,
)
from trellis.metadata.model.defs import (
    ActivityDef,
    AppModel,
    EntityDef,
    FieldDef,
    IndexDef,
    PipelineDef,
    RollupDef,
    RuleSource,
    StageDef,
    TransitionDef,
    ValidationDef,
    WorkflowDef,
)
from trellis.metadata.model.documents import DocumentDef, RelatedSource
from trellis.metadata.model.dsl_types import DslType
from trellis.metadata.model.field_types import FIELD_TYPES, FieldTypeSpec, field_type
from trellis.metadata.model.layouts import (
    FORM_STANDARD_COLUMNS,
    KANBAN_FIELD_TYPES,
    LAYOUT_STANDARD_COLUMNS,
    NUMBER_FIELD_TYPES,
    DetailLayout,
    FormLayout,
    KanbanLayout,
    LayoutsDef,
    LayoutSection,
    ListLayout,
    RelatedList,
)
from trellis.metadata.model.roles import (
    ACTIONS,
    ADMIN_ROLE,
    FIELD_ACCESS,
    SCOPES,
    EntityAccessDef,
    RoleDef,
)
from trellis.metadata.model.schedules import ReminderDef, SlaDef, SlaTargetDef
from trellis.metadata.model.source import SourceSpan
from trellis.metadata.model.standard import STANDARD_COLUMNS, WRITABLE_STANDARD_COLUMNS
from trellis.metadata.model.type_names import FieldType

__all__ = [
    "ACTIONS",
    "ADMIN_ROLE",
    "CHART_KINDS",
    "FIELD_ACCESS",
    "FIELD_TYPES",
    "FORM_STANDARD_COLUMNS",
    "KANBAN_FIELD_TYPES",
    "LAYOUT_STANDARD_COLUMNS",
    "NUMBER_FIELD_TYPES",
    "SCOPES",
    "STANDARD_COLUMNS",
    "TILE_AGGREGATES",
    "TILE_KINDS",
    "TIME_BUCKETS",
    "WRITABLE_STANDARD_COLUMNS",
    "ActivityDef",
    "AppModel",
    "DashboardDef",
    "DetailLayout",
    "DocumentDef",
    "DslType",
    "EntityAccessDef",
    "EntityDef",
    "FieldDef",
    "FieldType",
    "FieldTypeSpec",
    "FieldValueError",
    "FormLayout",
    "IndexDef",
    "KanbanLayout",
    "LayoutSection",
    "LayoutsDef",
    "ListLayout",
    "PipelineDef",
    "RelatedList",
    "RelatedSource",
    "ReminderDef",
    "RoleDef",
    "RollupDef",
    "RuleSource",
    "SlaDef",
    "SlaTargetDef",
    "SourceSpan",
    "StageDef",
    "TileDef",
    "TransitionDef",
    "ValidationDef",
    "WorkflowDef",
    "field_type",
]
