"""The compiled meta-schema check never accepts what jsonschema refuses.

``schema_diagnostics`` returns no diagnostic when the compiled validator
(jsonschema_rs) accepts a document, and only then asks jsonschema for the errors.
Whatever the compiled one accepts, jsonschema must accept too, or a load would
miss a diagnostic. Mutated CRM entity and app files and generated ones check it.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metadata_fuzz_support import crm_files, data_mutation, fuzz_settings

from trellis.metadata.loader._schema_check import _validator, fast_accepts

FUZZ = settings(
    fuzz_settings(60),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CRM = crm_files()
ENTITIES = sorted(p for p in CRM if p.startswith("entities/") and p.endswith(".yaml"))


def _agree(name: str, document: Any) -> None:
    fast = fast_accepts(name, document)
    errors = list(_validator(name).iter_errors(document))
    if fast:
        assert errors == [], [e.message for e in errors]


@FUZZ
@given(st.sampled_from(ENTITIES), st.data())
def test_a_mutated_entity_accepted_by_the_fast_check_has_no_schema_error(
    path: str, data: st.DataObject
) -> None:
    original = yaml.safe_load(CRM[path])
    _agree("entity", data.draw(data_mutation(copy.deepcopy(original))))


@FUZZ
@given(st.data())
def test_a_mutated_app_file_accepted_by_the_fast_check_has_no_schema_error(
    data: st.DataObject,
) -> None:
    original = yaml.safe_load(CRM["app.yaml"])
    _agree("app", data.draw(data_mutation(copy.deepcopy(original))))
