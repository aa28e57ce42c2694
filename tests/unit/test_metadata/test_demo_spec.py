"""The demo data spec: the CRM's loads cleanly; each bad spec is placed, coded and hinted."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import DEMO_SPEC_PATH, DEMO_WORDS_PATH, load_demo_spec, load_package
from trellis.metadata.model import AppModel
from trellis.rules.checker import RuleExpressionChecker
from trellis.seed.crm import PACKAGE_PATH

CRM = Path(str(PACKAGE_PATH))
WORDS = "first_names: {en: [Ann], es: [Ana]}\ncities: [Paris]\n"


@pytest.fixture(scope="module")
def crm() -> AppModel:
    return load_package(PACKAGE_PATH, checker=RuleExpressionChecker())


def _errors(model: AppModel, spec: str, words: str = WORDS) -> list[str]:
    files = {DEMO_SPEC_PATH: spec, DEMO_WORDS_PATH: words}
    with pytest.raises(MetadataError) as caught:
        load_demo_spec(files, model, "pkg")
    return [str(d) for d in caught.value.diagnostics]


def test_the_crm_spec_loads_with_every_entity_it_names(crm: AppModel) -> None:
    files = {p: (CRM / p).read_text(encoding="utf-8") for p in (DEMO_SPEC_PATH, DEMO_WORDS_PATH)}
    spec = load_demo_spec(files, crm)
    made = [r.entity for r in spec.records]
    for entity in ("account", "contact", "lead", "opportunity", "quote", "sales_order"):
        assert entity in made
    assert [t.size for t in spec.teams] == [4, 4, 4]
    assert {lang for lists in spec.words.values() for lang in lists} == {"en", "es", "*"}


BAD = [
    # (spec text, expected diagnostic)
    (
        "seed: 1\nrecords:\n  - entity: acount\n    count: 3\n",
        "pkg/data/demo/spec.yaml:3:13: error MD392: unknown entity 'acount' "
        "(did you mean 'account'?)",
    ),
    (
        "seed: 1\nrecords:\n  - entity: account\n    cout: 3\n",
        "pkg/data/demo/spec.yaml:4:5: error MD003: ",
    ),
    (
        "seed: 1\nrecords:\n  - entity: account\n    count: 3\n    fields:\n"
        "      name: {word: first_name}\n",
        "pkg/data/demo/spec.yaml:6:20: error MD394: unknown word list 'first_name' "
        "(did you mean 'first_names'?)",
    ),
    (
        "seed: 1\nrecords:\n  - entity: account\n    count: 3\n    fields:\n"
        "      industy: {value: x}\n",
        "pkg/data/demo/spec.yaml:6:16: error MD393: entity 'account' has no field 'industy' "
        "(did you mean 'industry'?)",
    ),
    (
        "seed: 1\nrecords:\n  - entity: account\n    count: 3\n    fields:\n"
        "      size: {choice: {small: 1, hueg: 2}}\n",
        "pkg/data/demo/spec.yaml:6:33: error MD395: field 'size': 'hueg' is not one of its options",
    ),
    (
        "seed: 1\nrecords:\n  - entity: contact\n    count: 3\n    fields:\n"
        "      account: {ref: account}\n",
        "pkg/data/demo/spec.yaml:6:22: error MD396: field 'account': 'ref' names 'account', "
        "which is not generated before 'contact'",
    ),
    (
        "seed: 1\nrecords:\n  - entity: account\n    count: 3\n    fields:\n"
        "      name: {word: cities, value: x}\n",
        "pkg/data/demo/spec.yaml:6:13: error MD391: field 'name': give exactly one generator",
    ),
    (
        "seed: 1\nusers:\n  domain: d.test\n  teams: [{name: north, size: 2, roles: [sales_rep]}]\n"
        "records:\n  - entity: account\n    count: 3\n    owners: [nort]\n",
        "pkg/data/demo/spec.yaml:8:14: error MD397: unknown team 'nort' (did you mean 'north'?)",
    ),
    (
        "seed: 1\nusers:\n  domain: d.test\n  teams: [{name: north, size: 2, roles: [sales_rop]}]\n"
        "records:\n  - entity: account\n    count: 3\n",
        "pkg/data/demo/spec.yaml:4:42: error MD397: team 'north': unknown role 'sales_rop' "
        "(did you mean 'sales_rep'?)",
    ),
    (
        "seed: 1\nrecords:\n  - entity: account\n    count: 3\n    fields:\n"
        "      open_deals: {integer: [1, 2]}\n",
        "pkg/data/demo/spec.yaml:6:19: error MD393: field 'account.open_deals' is computed",
    ),
]


@pytest.mark.parametrize(("spec", "expected"), BAD)
def test_a_bad_spec_names_place_code_and_suggestion(
    crm: AppModel, spec: str, expected: str
) -> None:
    errors = _errors(crm, spec)
    assert any(e.startswith(expected) for e in errors), errors


def test_every_problem_is_reported_at_once(crm: AppModel) -> None:
    spec = (
        "seed: 1\nrecords:\n  - entity: acount\n    count: 3\n  - entity: contact\n"
        "    count: 1\n    fields:\n      frist_name: {word: first_names}\n"
    )
    errors = _errors(crm, spec)
    assert [e.split(" error ")[1][:5] for e in errors] == ["MD392", "MD393"]


def test_a_bad_word_list_and_a_missing_spec_are_reported(crm: AppModel) -> None:
    spec = "seed: 1\nrecords:\n  - entity: account\n    count: 3\n"
    assert _errors(crm, spec, "cities: []\n") == [
        "pkg/data/demo/words.yaml:1:9: error MD390: word list 'cities' must be a non-empty "
        "list of text, or one per language"
    ]
    with pytest.raises(MetadataError, match="MD390: the package has no demo data spec"):
        load_demo_spec({}, crm)
