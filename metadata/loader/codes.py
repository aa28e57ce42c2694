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
        "MD009": "unsupported YAML: merge key, tag, non-text key, recursive alias, too big or deep "
        "(nodes, aliases expanded, nesting)",
        # Cross-checks (meaning).
        "MD010": "unknown field type (did you mean …)",
        "MD011": "unknown entity in 'to' (did you mean …)",
        "MD012": "unknown field in title, search, indexes, validations, currency_field or "
        "activity_fields",
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
        "MD027": "renamed_from names a field or entity that still exists, or is renamed twice",
        "MD028": "referenced field has the wrong type (currency_field)",
        # Package layout.
        "MD030": "not a package: the folder or its app.yaml is missing",
        "MD031": "warning: unknown file or folder in the package (ignored)",
        "MD032": "app.yaml 'timezone' is not a known IANA time zone (did you mean …)",
        "MD033": "a package file is larger than the size limit (256 KiB); it is not read",
        # Rollups.
        "MD050": "a field has both a formula and a rollup",
        "MD051": "rollup from an unknown child entity",
        "MD052": "rollup 'from' does not name a reference from the child to this entity",
        "MD053": "rollup field missing, unknown, or of a type the aggregate cannot use",
        "MD054": "'visible_to_all' on a field that is not a rollup",
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
        "MD074": "a transition's roles or approval role names a role roles.yaml does not "
        "declare (did you mean …)",
        # Roles (roles.yaml).
        "MD070": "roles.yaml declares the built-in role 'admin'",
        "MD071": "a role names an unknown entity (did you mean …)",
        "MD072": "a role's fields name an unknown field of the entity (did you mean …)",
        "MD073": "a role's 'where' condition is refused by the rule checker (not a boolean, "
        "unknown name …)",
        # SLA and reminder files (sla/<entity>.yaml, reminders/<entity>.yaml).
        "MD130": "SLA or reminder file for an unknown entity, or an 'entity' key that differs "
        "from the file name",
        "MD131": "SLA or reminder file names an unknown field (did you mean …)",
        "MD132": "SLA or reminder field of the wrong type (priority not an enum, start or "
        "reminder field not a date, breach field not a boolean, notify not a user)",
        "MD133": "SLA hours name a value that is not an option of the priority field",
        "MD134": "a met_when, pause_when or cancel_when condition is refused by the rule checker",
        "MD135": "SLA or reminder email names no email_templates/<name>.j2",
        "MD136": "a field named in an entity's activity_fields block has the wrong type",
        "MD137": "an option of the SLA priority field that no target gives hours to",
        # E-mail templates (email_templates/<name>.j2), checked at publish.
        "MD138": "an e-mail template does not parse (Jinja2 syntax error)",
        # Documents (documents/<name>.html.j2 with documents/<name>.yaml).
        "MD230": "a document template does not parse (Jinja2 syntax error)",
        "MD231": "a document without its sidecar or template, for an unknown entity, or "
        "whose 'document' key differs from the file name",
        "MD232": "a document template reads an unknown field 'record.<name>' (did you mean …)",
        "MD233": "a document template reads an unknown related list 'related.<name>'",
        "MD234": "a document template uses a name starting with '_'",
        "MD235": "a document's store_in is not a versioned or multiple file field",
        # Filter fields (``filter_of: <entity>`` on a string or text field).
        "MD380": "a field's filter_of names an unknown entity (did you mean …)",
        # Currencies (app.yaml ``currency``, money fields' ``rate_date``).
        "MD210": "app.yaml 'currency' is not a known ISO 4217 currency code (did you mean …)",
        "MD211": "rate_date names an unknown field (did you mean …)",
        "MD212": "rate_date names a field that is not a date or datetime",
        "MD213": "rate_date on a money field without a currency_field",
        "MD214": "an option of a currency field is not a known ISO 4217 currency code",
        "MD215": "a money rollup over amounts that carry their currency has a currency_field "
        "(it is in the base currency)",
        # Business-hours calendars (calendars/<name>.yaml).
        "MD270": "a calendar's opening interval is not HH:MM-HH:MM from 00:00 to 24:00 "
        "ending after it starts",
        "MD271": "two opening intervals of one calendar day overlap",
        "MD272": "a calendar names an unknown time zone (did you mean …)",
        "MD273": "a calendar holiday is not a date (YYYY-MM-DD)",
        "MD274": "a calendar has no opening hours on any day",
        "MD275": "an SLA names an unknown calendar (did you mean …)",
        "MD276": "a calendar's yearly holiday MM-DD is no day of the year",
        # Duplicate rules (the ``duplicates:`` list of an entity file).
        "MD330": "'duplicates' is not a list of mappings, or a rule has an unknown key",
        "MD331": "a duplicate rule's 'match' is missing or not exact/fuzzy",
        "MD332": "a duplicate rule names no field or an unknown field (did you mean …)",
        "MD333": "a duplicate rule's field has a type its comparison cannot use",
        "MD334": "a duplicate rule's 'threshold' is out of range (0 < t <= 1) or on an exact rule",
        "MD335": "a fuzzy rule without 'blocking' keys, or a malformed blocking key or prefix",
        "MD336": "a duplicate rule's 'action' is not warn/block",
        "MD337": "a duplicate rule's name is not valid or is used twice in the entity",
        # Layouts (the ``layouts:`` section of an entity file).
        "MD100": "a layout names an unknown field (did you mean …)",
        "MD101": "a layout uses a field where it cannot: sort by a list or JSON field, "
        "a standard column other than owner_id in a form",
        "MD102": "a related list names an unknown entity (did you mean …)",
        "MD103": "a related list's field is not a reference from that entity to this one",
        "MD104": "the kanban field is not a pipeline or enum field",
        "MD105": "the kanban total is not a number field",
        # Dashboards (dashboards/<name>.yaml).
        "MD110": "the 'dashboard' key does not match the file name, or a dashboard is "
        "defined twice",
        "MD111": "a tile names an unknown entity (did you mean …)",
        "MD112": "a tile names an unknown field in 'field' or 'group_by' (did you mean …)",
        "MD113": "a tile's aggregate does not fit its field: sum, avg, min and max need a "
        "number field, count takes none",
        "MD114": "a chart tile without 'group_by', or a kpi tile with one",
        "MD115": "a tile's group_by cannot group as asked (time bucket, type, line or funnel)",
        "MD116": "a tile's 'where' condition is refused by the rule checker",
        "MD420": "a tile's keys do not fit its kind: a ratio takes its aggregates in "
        "numerator, minus and denominator; other kinds take none of those",
        "MD421": "a tile's 'having' item names a field that is not a reference to the "
        "tile's entity",
        # Public forms and signed links (forms/<name>.yaml, links/<name>.yaml).
        "MD240": "the 'form', 'link' or 'portal' key does not match the file name",
        "MD241": "a form, link or portal names an unknown entity (did you mean …)",
        "MD242": "a form, link or portal names an unknown field (did you mean …)",
        "MD243": "a form or link fills a computed field, or one of a type public pages "
        "cannot offer (reference, user, json …)",
        "MD244": "a form's hidden value or a link's set value does not fit its field",
        "MD245": "the 'public' role cannot create the form's entity, or hides or locks a "
        "field the form fills",
        "MD246": "the 'public' role is granted more than 'create'",
        "MD247": "a link's action lacks what it needs: fields (or layout) for view, fields "
        "for answer, set values for set",
        # Relationships beyond reference (many_to_many, any_reference, lines).
        "MD250": "many_to_many field without 'to'",
        "MD251": "any_reference field without 'targets'",
        "MD252": "unknown entity in an any_reference field's 'targets' (did you mean …)",
        "MD253": "lines field without 'entity', or an unknown line entity (did you mean …)",
        "MD254": "the line entity has no single reference back to the parent "
        "(or 'parent_field' names none)",
        "MD255": "lines do not nest: a line entity declares lines, or holds two parents' lines",
        "MD256": "a lines field's min or max is not a count, or min is more than max",
        # File fields.
        "MD220": "a file field is both 'multiple' and 'versioned'",
        "MD221": "a file field has a default or is required (uploads fill it)",
        # Per-locale text (label: {en: …, es: …}) and the tenant's locale.
        "MD200": "a per-locale text names a locale the platform does not ship (did you mean …)",
        "MD201": "app.yaml 'locale' is not a supported locale (did you mean …)",
        "MD202": "option_labels names a value that is not one of the field's options",
        # Badge colours of enum options, workflow states and pipeline stages.
        "MD350": "a badge colour is not one of gray, blue, green, yellow, orange, red, purple, "
        "teal (did you mean …)",
        "MD351": "option_colours names a value that is not one of the field's options",
        "MD352": "a detail layout's icon is not one of the named icons (did you mean …)",
        # The home page's panels (app.yaml home:).
        "MD360": "a home panel names an unknown entity (did you mean …)",
        "MD361": "a home panel lacks the entity its kind needs, or names one its kind takes not",
        "MD362": "a home panel's entity lacks what its kind needs (activity_fields, a "
        "pipeline field, an SLA)",
        "MD363": "the same home panel (kind and entity) is declared twice",
        # Encrypted fields (issue 17).
        "MD370": "an encrypted field has a formula, default, rollup or trigram index",
        "MD371": "an encrypted field is listed in search:",
        # Retention rules (issue 17).
        "MD372": "a retention rule is not valid (unknown entity, bad action or condition)",
        # Demo data spec (data/demo/spec.yaml, data/demo/words.yaml).
        "MD390": "the demo data spec is missing, or a word list is not a list of text",
        "MD391": "a demo field generator has no kind or several, or records lack count and per",
        "MD392": "demo records name an unknown entity (did you mean …)",
        "MD393": "a demo generator names an unknown or computed field (did you mean …)",
        "MD394": "a demo generator names an unknown word list (did you mean …)",
        "MD395": "a demo choice or history value is not one of the field's options",
        "MD396": "a demo reference names an entity not generated before it",
        "MD397": "demo users name an unknown role, or records an unknown team",
        "MD398": "a portal field unfit for its role (heading, body, search, votes, language)",
        "MD399": "a portal name taken by the other public pages (forms, s, static, api, chat)",
        "MD430": "the live chat (app.yaml 'chat:') names an unknown entity or field, or one "
        "unfit for its role, or one the 'public' role cannot create",
    }
)

__all__ = ["CODES"]
