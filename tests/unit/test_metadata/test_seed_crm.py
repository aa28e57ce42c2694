"""The CRM seed package loads cleanly into a read-only model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from trellis.metadata.diagnostics import Diagnostic
from trellis.metadata.loader import load_package, package_digest, validate_package
from trellis.metadata.model import AppModel, DslType, EntityDef, SourceSpan
from trellis.seed.crm import PACKAGE_PATH

from metadata_test_support import NameChecker

REPO_ROOT = Path(__file__).resolve().parents[3]


class SilentChecker:
    """Accepts every expression."""

    def check(
        self,
        source: str,
        entity: EntityDef,
        model: AppModel,
        *,
        expected: DslType | None,
        span: SourceSpan,
    ) -> list[Diagnostic]:
        return []


@pytest.fixture(scope="module")
def crm() -> AppModel:
    return load_package(PACKAGE_PATH, checker=SilentChecker())


def test_crm_loads_without_any_diagnostic() -> None:
    result = validate_package(PACKAGE_PATH, checker=NameChecker())
    assert [str(d) for d in result.diagnostics] == []
    assert result.model is not None


def test_crm_model_shape(crm: AppModel) -> None:
    assert (crm.name, crm.version, crm.currency) == ("crm", "1.0.0", "EUR")
    assert {"account", "activity", "contact", "opportunity", "ticket", "lead"} <= set(crm.entities)
    opportunity = crm.entity("opportunity")
    assert opportunity.fields["account"].to == "account"
    assert opportunity.fields["account"].required
    assert opportunity.fields["stage"].options[0] == "prospecting"
    assert opportunity.fields["expected_revenue"].formula == "amount * probability / 100"
    assert opportunity.fields["number"].autonumber_format == "OPP-{n:05d}"
    assert opportunity.fields["amount"].currency_field == "currency"
    assert [i.fields for i in opportunity.indexes] == [("stage", "close_date")]
    assert opportunity.validations[0].field == "close_date"
    assert crm.entity("contact").fields["full_name"].computed
    assert crm.digest == package_digest(PACKAGE_PATH)


def test_crm_deal_pipeline_and_ticket_workflow(crm: AppModel) -> None:
    deal = crm.pipelines["deal"]
    assert [(s.name, int(s.probability)) for s in deal.stages] == [
        ("prospecting", 10),
        ("qualification", 20),
        ("proposal", 50),
        ("negotiation", 75),
        ("won", 100),
        ("lost", 0),
    ]
    assert [s.name for s in deal.stages if s.won] == ["won"]
    assert [s.name for s in deal.stages if s.lost] == ["lost"]
    stage = crm.entity("opportunity").fields["stage"]
    assert (stage.type, stage.pipeline, stage.options) == ("pipeline", "deal", deal.stage_names)
    (flow,) = crm.workflows_of("ticket")
    assert (flow.name, flow.field, flow.initial) == ("ticket_flow", "status", "new")
    assert flow.states == crm.entity("ticket").fields["status"].options
    resolve = flow.transition("resolve")
    assert resolve is not None
    assert resolve.roles == ("support_agent", "support_lead")
    assert resolve.guard == "resolution is not empty"
    assert [t.name for t in flow.transitions] == [
        "open", "wait", "resume", "resolve", "close", "reopen"
    ]  # fmt: skip
    assert flow.done_states == ("resolved", "closed")
    (leads,) = crm.workflows_of("lead")
    assert leads.states == ("new", "working", "qualified", "converted", "disqualified")


def test_crm_model_is_frozen_and_read_only(crm: AppModel) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        crm.version = "9"  # type: ignore[misc]
    with pytest.raises(TypeError):
        crm.entities["x"] = crm.entity("account")  # type: ignore[index]
    account = crm.entity("account")
    with pytest.raises(TypeError):
        account.fields["x"] = account.fields["name"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.fields["name"].required = False  # type: ignore[misc]
    assert isinstance(account.search, tuple)
    assert isinstance(crm.entity("contact").fields["first_name"].options, tuple)


def test_crm_expressions_go_to_the_checker_with_type_and_place() -> None:
    checker = NameChecker()
    load_package(PACKAGE_PATH, checker=checker)
    calls = {(entity, source): (expected, span) for entity, source, expected, span in checker.calls}
    expected, span = calls[("contact", 'concat(first_name, " ", last_name)')]
    assert expected is DslType.TEXT
    line = (PACKAGE_PATH / "entities/contact.yaml").read_text().splitlines()[span.line - 1]
    assert line[span.col - 1 :].startswith("concat(first_name")
    assert calls[("opportunity", "amount * probability / 100")][0] is DslType.NUMBER
    assert calls[("opportunity", '"EUR"')][0] is DslType.TEXT
    assert calls[("activity", "false")][0] is DslType.BOOLEAN
    assert calls[("opportunity", "stage.probability")][0] is DslType.NUMBER
    when = "stage.won and close_date is empty"
    assert calls[("opportunity", when)][0] is DslType.BOOLEAN


def test_crm_diagnostic_paths_start_with_the_path_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    model = load_package("seed/crm")
    assert model.entity("opportunity").source.path == "seed/crm/entities/opportunity.yaml"


#: Keys whose text a screen shows: each must carry English and Spanish.
TEXT_KEYS = {"label", "plural_label", "description", "tab", "message", "title"}


def _untranslated(node: object, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}"
            if where.endswith(".fields"):  # field names, not texts
                found += _untranslated(value, here)
            elif key in TEXT_KEYS and not isinstance(value, dict | list):
                if not (key == "title" and isinstance(value, str) and value.isidentifier()):
                    found.append(here)
            elif key in TEXT_KEYS and isinstance(value, dict) and set(value) != {"en", "es"}:
                found.append(here)
            elif key == "option_labels":
                found += [f"{here}.{o}" for o, t in value.items() if not isinstance(t, dict)]
            else:
                found += _untranslated(value, here)
    elif isinstance(node, list):
        for number, item in enumerate(node):
            found += _untranslated(item, f"{where}[{number}]")
    return found


def test_crm_every_text_is_in_english_and_spanish() -> None:
    import yaml

    missing: list[str] = []
    for path in [*sorted(PACKAGE_PATH.glob("*/*.yaml")), PACKAGE_PATH / "app.yaml"]:
        if path.parent.name == "data":
            continue
        missing += _untranslated(yaml.safe_load(path.read_text(encoding="utf-8")), path.stem)
    roles = [m for m in missing if m.startswith("roles.")]  # roles.yaml takes plain text
    assert sorted(set(missing) - set(roles)) == []
    for entity in (PACKAGE_PATH / "entities").glob("*.yaml"):
        data = yaml.safe_load(entity.read_text(encoding="utf-8"))
        for name, field in data["fields"].items():
            assert isinstance(field.get("label"), dict), f"{entity.stem}.{name} has no label"
            if field["type"] == "enum" and name != "currency":  # ISO codes need no label
                assert set(field.get("option_labels", {})) == set(field["options"]), name
        assert {"list", "detail", "form"} <= set(data["layouts"]), entity.stem
    templates = PACKAGE_PATH / "email_templates"
    for template in templates.glob("*.j2"):
        if not template.name.endswith(".es.j2"):
            assert (templates / f"{template.stem}.es.j2").is_file(), template.name


def test_crm_readme_names_files_and_tests_that_exist() -> None:
    import re

    text = (PACKAGE_PATH / "README.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    named = {
        p for line in table for p in re.findall(r"`([a-z_/]+[a-z_*]*\.(?:yaml|rules|j2|py))`", line)
    }
    assert len(named) > 30
    for path in named:
        root = REPO_ROOT if path.startswith("tests/") else PACKAGE_PATH
        assert list(root.glob(path)), path
    for entity in (PACKAGE_PATH / "entities").glob("*.yaml"):
        assert f"entities/{entity.name}" in named, entity.name


def test_done_states_decide_what_counts_as_open_work(crm: AppModel) -> None:
    from trellis.ui.screens.home_panels import assigned_filter

    # ticket_flow lists done: [resolved, closed] (closed reopens, so nothing is final);
    # return_flow has none: its final states (refunded, rejected) are done.
    mine = "owner_id == current_user()"
    ticket = assigned_filter(crm, crm.entity("ticket"))
    assert ticket == f'{mine} and status in ("new", "open", "pending")'
    returns = assigned_filter(crm, crm.entity("return_request"))
    assert returns == f'{mine} and status in ("requested", "approved", "received")'
