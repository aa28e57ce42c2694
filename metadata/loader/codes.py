"""Stable diagnostic codes of the package loader.

A code never changes meaning once released; retired codes stay listed. The same
table is explained with examples in ``metadata/CODES.md``.
"""

from __future__ import annotations

from types import MappingProxyType

CODES = MappingProxyType(
    {
        # Reading files (YAML level).
        "MD001": "YAML syntax error (or the file is not UTF-8 text)",
        "MD002": "a required key is missing",
        "MD003": "unknown key (did you mean …)",
        "MD004": "a value has the wrong type",
        "MD005": "duplicate key in a YAML mapping",
        "MD006": "a name or value does not have the required form (pattern)",
        "MD007": "a value is not one of the allowed choices (did you mean …)",
        "MD008": "a value breaks a limit (range, length, empty or repeated items)",
        "MD009": "unsupported YAML: merge key, tag, non-text key, recursive alias, too big or deep",
        # Cross-checks (meaning).
        "MD010": "unknown field type (did you mean …)",
        "MD011": "unknown entity in 'to' (did you mean …)",
        "MD012": "unknown field in title, search, indexes, validations or currency_field",
        "MD013": "duplicate entity name",
        "MD014": "the 'entity' key does not match the file name",
        "MD015": "field name collides with a standard column or a rule-language keyword",
        "MD016": "options missing for an enum or multi_enum field",
        "MD017": "reference field without 'to'",
        "MD018": "'to' on a field that is not a reference",
        "MD019": "key does not apply to the field's type",
        "MD020": "expression error reported by the rule checker",
        "MD021": "formula cycle",
        "MD022": "formula or rollup on a type that cannot be computed",
        "MD023": "computed field (formula, rollup or autonumber) with a default or 'required'",
        "MD024": "invalid autonumber format",
        "MD025": "contradictory settings (min above max, set_null on a required field)",
        "MD026": "default text is not one of the enum options",
        "MD027": "renamed_from names a field that still exists or is renamed twice",
        "MD028": "referenced field has the wrong type (currency_field)",
        # Package layout.
        "MD030": "not a package: the folder or its app.yaml is missing",
        "MD031": "warning: unknown file or folder in the package (ignored)",
        # Rollups.
        "MD050": "a field has both a formula and a rollup",
        "MD051": "rollup from an unknown child entity",
        "MD052": "rollup 'from' does not name a reference from the child to this entity",
        "MD053": "rollup field missing, unknown, or of a type the aggregate cannot use",
        # Pipelines and workflows.
        "MD060": "pipeline field without 'pipeline', with an unknown pipeline, or a default "
        "that is not one of its stages",
        "MD061": "the 'pipeline' or 'workflow' key does not match the file name",
        "MD062": "duplicate pipeline, workflow, stage, state or transition, or a second "
        "workflow on one field",
        "MD063": "a stage is both won and lost",
        "MD064": "workflow on an unknown entity (did you mean …)",
        "MD065": "unknown field in a workflow: field, required or on_enter set (did you mean …)",
        "MD066": "workflow field is not an enum whose options are exactly the states",
        "MD067": "unknown state in initial, from or to (did you mean …)",
        "MD068": "state unreachable from the initial state",
        "MD069": "on_enter sets a computed field, a standard column or the workflow's own field",
        # Roles (roles.yaml).
        "MD070": "roles.yaml declares the built-in role 'admin'",
        "MD071": "a role names an unknown entity (did you mean …)",
        "MD072": "a role's fields name an unknown field of the entity (did you mean …)",
        "MD073": "a role's 'where' condition is refused by the rule checker (not a boolean, "
        "unknown name …)",
    }
)

__all__ = ["CODES"]
