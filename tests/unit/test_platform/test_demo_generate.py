"""The demo plan: the CRM spec's targets, seeded determinism, dates from the anchor."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trellis.metadata.loader import DEMO_SPEC_PATH, DEMO_WORDS_PATH, load_demo_spec, load_package
from trellis.metadata.model.demo_data import DemoSpec
from trellis.platform.app_packages.demo import sample_records
from trellis.platform.demo_data.generate import Plan, Ref, make_plan, plan_digest
from trellis.rules.checker import RuleExpressionChecker
from trellis.seed.crm import PACKAGE_PATH

CRM = Path(str(PACKAGE_PATH))
ANCHOR = date(2026, 12, 1)


@pytest.fixture(scope="module")
def spec() -> DemoSpec:
    model = load_package(PACKAGE_PATH, checker=RuleExpressionChecker())
    files = {p: (CRM / p).read_text(encoding="utf-8") for p in (DEMO_SPEC_PATH, DEMO_WORDS_PATH)}
    return load_demo_spec(files, model)


@pytest.fixture(scope="module")
def full(spec: DemoSpec) -> Plan:
    return make_plan(spec, anchor=ANCHOR, scale=1)


def test_scale_one_meets_the_crm_targets(full: Plan) -> None:
    counts = full.counts()
    assert len(full.users) == 12
    assert Counter(u.team for u in full.users) == {"sales-north": 4, "sales-south": 4, "support": 4}
    expected = {
        "account": 500,
        "contact": 2000,
        "lead": 600,
        "opportunity": 800,
        "quote": 250,
        "sales_order": 400,
        "payment": 500,
        "activity": 1500,
        "ticket": 300,
        "survey_response": 150,
        "knowledge_article": 40,
        "campaign": 12,
        "campaign_member": 4000,
        "return_request": 20,
        "crm_document": 60,
    }
    assert {k: counts[k] for k in expected} == expected
    payments = [r for r in full.records if r.entity == "payment"]
    orders = [r for r in full.records if r.entity == "sales_order"]
    # A payment is in its order's currency; orders come in two currencies.
    assert {o.values["currency"] for o in orders} == {"EUR", "USD"}
    for p in payments:
        ref = p.values["sales_order"]
        assert p.values["currency"] == orders[ref.index].values["currency"]
    breaches = sum(1 for r in full.records if r.entity == "ticket" and r.values["sla_breached"])
    assert 15 <= breaches <= 45  # about 10 % of 300


def test_history_spans_eighteen_months_and_never_passes_the_anchor(full: Plan) -> None:
    anchor = datetime.combine(ANCHOR, time(0, 0), tzinfo=UTC)
    deals = [r for r in full.records if r.entity == "opportunity"]
    assert min(d.created_at for d in deals) < anchor - timedelta(days=500)
    stages = Counter(d.updates[-1][1]["stage"] for d in deals if d.updates)
    assert stages["won"] > 100 and stages["lost"] > 50
    for deal in deals:
        times = [deal.created_at, *(at for at, _ in deal.updates)]
        assert times == sorted(times) and times[-1] <= anchor
        assert deal.values["stage"] == "prospecting"
    lost = [d.updates[-1][1] for d in deals if d.updates and d.updates[-1][1]["stage"] == "lost"]
    assert all(change["lost_reason"] for change in lost)


def test_references_keep_related_records_together(full: Plan) -> None:
    contacts = [r for r in full.records if r.entity == "contact"]
    for deal in (r for r in full.records if r.entity == "opportunity"):
        contact = deal.values["contact"]
        if contact is not None:
            assert isinstance(contact, Ref)
            assert contacts[contact.index].values["account"] == deal.values["account"]


_ONCE = [HealthCheck.function_scoped_fixture]


@settings(max_examples=8, deadline=None, suppress_health_check=_ONCE)
@given(seed=st.integers(min_value=0, max_value=2**31), days=st.integers(-400, 400))
def test_same_seed_and_anchor_give_the_same_plan(spec: DemoSpec, seed: int, days: int) -> None:
    anchor = ANCHOR + timedelta(days=days)
    first = make_plan(spec, anchor=anchor, scale=0.02, seed=seed)
    again = make_plan(spec, anchor=anchor, scale=0.02, seed=seed)
    assert plan_digest(first) == plan_digest(again)
    other = make_plan(spec, anchor=anchor, scale=0.02, seed=seed + 1)
    assert plan_digest(other) != plan_digest(first)
    moved = make_plan(spec, anchor=anchor + timedelta(days=1), scale=0.02, seed=seed)
    assert plan_digest(moved) != plan_digest(first)
    # Dates move with the anchor: every record is created within the spec's window.
    start = datetime.combine(anchor, time(0, 0), tzinfo=UTC)
    assert all(start - timedelta(days=601) <= r.created_at <= start for r in first.records)


@pytest.mark.parametrize("scale", [0.01, 0.05, 0.5])
def test_a_fractional_scale_shrinks_every_block(spec: DemoSpec, scale: float) -> None:
    counts = make_plan(spec, anchor=ANCHOR, scale=scale).counts()
    assert counts["contact"] == round(2000 * scale)
    assert counts["campaign"] == max(1, round(12 * scale))
    with pytest.raises(ValueError, match="above 0"):
        make_plan(spec, anchor=ANCHOR, scale=0)


def test_names_come_from_both_languages(full: Plan) -> None:
    contacts = [r for r in full.records if r.entity == "contact"]
    languages = Counter(c.values["language"] for c in contacts)
    assert set(languages) == {"es", "en"} and languages["es"] > languages["en"]
    spanish = {c.values["first_name"] for c in contacts if c.values["language"] == "es"}
    assert "Lucía" in spanish or "Álvaro" in spanish
    names = [a.values["name"] for a in full.records if a.entity == "account"]
    assert len(set(names)) == len(names)  # `unique: true`


def test_template_sample_data_leaves_the_demo_spec_alone() -> None:
    files = {
        "data/item.yaml": "- {title: One}\n",
        DEMO_SPEC_PATH: "seed: 1\nrecords: []\n",
        DEMO_WORDS_PATH: "cities: [Paris]\n",
    }
    assert sample_records(files) == [("item", {"title": "One"})]
