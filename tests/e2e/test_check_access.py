"""``POST _check`` knows exactly the fields the caller may read (issue 12, item 4).

A CRM sales rep's role hides ``account.annual_revenue`` and ``won_value``, and its
``own`` scope on opportunities restricts ``account.pipeline_value``: the rule editor
must treat them as if they did not exist (unknown, never suggested), directly, through
reference paths and in rule files, while the admin still sees them.
"""

from __future__ import annotations

from typing import Any

import pytest

from trellis.platform.runtime import Runtime

from helpers import Api
from ui_support import add_user, crm_tenant

TENANT = "chk"


@pytest.fixture
def apis(runtime: Runtime, client: Any) -> dict[str, Api]:
    crm_tenant(runtime, TENANT)
    add_user(runtime, TENANT, f"rep@{TENANT}.test", ["sales_rep"])
    reg = runtime.registry
    return {
        who: Api(client, TENANT, reg.create_token(TENANT, f"{who}@{TENANT}.test"))
        for who in ("admin", "rep")
    }


def _check(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("_check", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_check_treats_a_hidden_field_as_unknown_and_never_suggests_it(
    apis: dict[str, Api],
) -> None:
    rep, admin = apis["rep"], apis["admin"]
    missing = _check(rep, entity="account", source="no_such_field > 0")
    for name in ("annual_revenue", "won_value", "pipeline_value"):
        assert _check(admin, entity="account", source=f"{name} > 0")["valid"] is True
        hidden = _check(rep, entity="account", source=f"{name} > 0")
        assert hidden["valid"] is False, name
        [error] = hidden["errors"]
        assert error["code"] == missing["errors"][0]["code"]
        assert error["message"] == missing["errors"][0]["message"].replace("no_such_field", name)
    typo = "annual_revenu > 0"
    assert _check(admin, entity="account", source=typo)["errors"][0]["suggestion"] == (
        "annual_revenue"
    )
    assert _check(rep, entity="account", source=typo)["errors"][0]["suggestion"] != (
        "annual_revenue"
    )
    assert _check(admin, entity="account", source="annual_r")["fields"] == ["annual_revenue"]
    assert _check(rep, entity="account", source="annual_r")["fields"] == []
    offered = _check(rep, entity="account", source="employees > 1 and ")["fields"]
    assert "employees" in offered
    assert not {"annual_revenue", "won_value", "pipeline_value", "open_deals"} & set(offered)


def test_check_refuses_dotted_paths_into_hidden_fields(apis: dict[str, Api]) -> None:
    rep, admin = apis["rep"], apis["admin"]
    for name in ("annual_revenue", "pipeline_value"):
        source = f"account.{name} > 0"
        assert _check(admin, entity="opportunity", source=source)["valid"] is True
        refused = _check(rep, entity="opportunity", source=source)
        assert refused["valid"] is False and name in refused["errors"][0]["message"]
    assert _check(rep, entity="opportunity", source="account.industry is not empty")["valid"]
    assert _check(admin, entity="opportunity", source="account.ann")["fields"] == ["annual_revenue"]
    assert _check(rep, entity="opportunity", source="account.ann")["fields"] == []
    assert "won_value" not in _check(rep, entity="contact", source="account.")["fields"]


RULE = (
    'rule "Probe"\n  on opportunity updated\n  when account.won_value > 0\n'
    '  then set name = "x"\nend\n'
)


def test_check_rule_file_treats_hidden_fields_as_unknown(apis: dict[str, Api]) -> None:
    assert _check(apis["admin"], kind="rule", source=RULE)["valid"] is True
    refused = _check(apis["rep"], kind="rule", source=RULE)
    assert refused["valid"] is False
    assert [(e["line"], "won_value" in e["message"]) for e in refused["errors"]] == [(3, True)]
    partial = 'rule "Probe"\n  on account updated\n  when won'
    assert _check(apis["admin"], kind="rule", source=partial)["fields"] == ["won_value"]
    assert _check(apis["rep"], kind="rule", source=partial)["fields"] == []
