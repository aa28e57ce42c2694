"""The compiled, immutable metadata model: what an app package means once loaded."""

from trellis.metadata.model.defs import (
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
from trellis.metadata.model.dsl_types import DslType
from trellis.metadata.model.field_types import FIELD_TYPES, FieldTypeSpec, field_type
from trellis.metadata.model.roles import (
    ACTIONS,
    ADMIN_ROLE,
    FIELD_ACCESS,
    SCOPES,
    EntityAccessDef,
    RoleDef,
)
from trellis.metadata.model.source import SourceSpan
from trellis.metadata.model.standard import STANDARD_COLUMNS, WRITABLE_STANDARD_COLUMNS

__all__ = [
    "ACTIONS",
    "ADMIN_ROLE",
    "FIELD_ACCESS",
    "FIELD_TYPES",
    "SCOPES",
    "STANDARD_COLUMNS",
    "WRITABLE_STANDARD_COLUMNS",
    "AppModel",
    "DslType",
    "EntityAccessDef",
    "EntityDef",
    "FieldDef",
    "FieldTypeSpec",
    "IndexDef",
    "PipelineDef",
    "RoleDef",
    "RollupDef",
    "RuleSource",
    "SourceSpan",
    "StageDef",
    "TransitionDef",
    "ValidationDef",
    "WorkflowDef",
    "field_type",
]
