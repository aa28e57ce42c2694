"""The no-code designers' domain: entity files edited field by field in the tenant's draft."""

from trellis.platform.designers.field_options import (
    OPTIONS,
    TYPES,
    FieldOption,
    definition_from_form,
    form_values,
    options_for,
)
from trellis.platform.designers.field_yaml import (
    EntityFileError,
    field_key_offset,
    option_columns,
    set_field,
)
from trellis.platform.designers.service import (
    EntityFile,
    EntityRow,
    FieldExistsError,
    Usage,
    entity_file,
    entity_path,
    entity_rows,
    field_usage,
    save_field,
)

__all__ = [
    "OPTIONS",
    "TYPES",
    "EntityFile",
    "EntityFileError",
    "EntityRow",
    "FieldExistsError",
    "FieldOption",
    "Usage",
    "definition_from_form",
    "entity_file",
    "entity_path",
    "entity_rows",
    "field_key_offset",
    "field_usage",
    "form_values",
    "option_columns",
    "options_for",
    "save_field",
    "set_field",
]
