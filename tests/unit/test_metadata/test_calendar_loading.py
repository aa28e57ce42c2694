"""Calendar files load with localized labels and the app's time zone as default; the
CRM's ticket SLA counts Spanish business hours and pauses while pending."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import load_package
from trellis.metadata.model.local_text import label_for
from trellis.rules.checker import RuleExpressionChecker
from trellis.seed.crm import PACKAGE_PATH

TICKET = """\
fields:
  subject: {type: string}
  priority: {type: enum, options: [high, low]}
  status: {type: enum, options: [open, pending, closed]}
"""
SLA = """\
priority_field: priority
calendar: office
pause_when: 'status == "pending"'
targets:
  response:
    met_when: 'status == "closed"'
    hours: {high: 4, low: 8}
"""


def _package(tmp_path: Path, calendar: str, app_zone: str | None = None) -> Path:
    root = tmp_path / "pkg"
    for folder in ("calendars", "entities", "sla"):
        (root / folder).mkdir(parents=True)
    zone = f"timezone: {app_zone}\n" if app_zone else ""
    (root / "app.yaml").write_text(f"name: desk\nversion: 1.0.0\n{zone}")
    (root / "entities" / "ticket.yaml").write_text(TICKET)
    (root / "sla" / "ticket.yaml").write_text(SLA)
    (root / "calendars" / "office.yaml").write_text(calendar)
    return root


def test_a_calendar_label_may_carry_english_and_spanish(tmp_path: Path) -> None:
    text = "label: {en: Office hours, es: Horario de oficina}\ntimezone: UTC\n"
    text += 'week: {monday: ["09:00-17:00"]}\n'
    model = load_package(_package(tmp_path, text), checker=RuleExpressionChecker())
    label = model.calendars["office"].label
    assert (label_for(label, "en"), label_for(label, "es")) == (
        "Office hours",
        "Horario de oficina",
    )


def test_a_calendar_without_a_time_zone_uses_the_apps(tmp_path: Path) -> None:
    text = 'week: {monday: ["09:00-17:00"]}\n'
    model = load_package(_package(tmp_path, text, "America/Mexico_City"))
    assert model.calendars["office"].timezone == "America/Mexico_City"
    assert load_package(_package(tmp_path / "b", text)).calendars["office"].timezone == "UTC"


def test_a_calendar_label_in_an_unknown_locale_is_refused_with_its_position(
    tmp_path: Path,
) -> None:
    text = 'label: {en: Office, fr: Bureau}\nweek: {monday: ["09:00-17:00"]}\n'
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path, text))
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.span.line, problem.span.col) == ("MD200", 1, 21)
    assert problem.span.path.endswith("calendars/office.yaml")


def test_the_sla_keeps_its_pause_condition(tmp_path: Path) -> None:
    text = 'week: {monday: ["09:00-17:00"]}\n'
    model = load_package(_package(tmp_path, text), checker=RuleExpressionChecker())
    assert model.slas["ticket"].pause_when == 'status == "pending"'
    assert model.slas["ticket"].targets[0].calendar == "office"


def test_the_crm_ticket_sla_counts_spanish_business_hours() -> None:
    model = load_package(PACKAGE_PATH)
    spain = model.calendars["spain"]
    assert spain.timezone == "Europe/Madrid"
    assert label_for(spain.label, "es") == "Horario laboral de España"
    assert label_for(spain.label, "en") == "Spanish business hours"
    assert spain.week[:5] == (((540, 1080),),) * 5 and spain.week[5:] == ((), ())
    # National holidays every year, Good Friday moving with Easter: they never run out.
    for year in (2026, 2027, 2028, 2029, 2030, 2045):
        assert spain.is_holiday(date(year, 12, 25)) and spain.is_holiday(date(year, 1, 6))
    good_fridays = [date(2026, 4, 3), date(2027, 3, 26), date(2028, 4, 14),
                    date(2029, 3, 30), date(2030, 4, 19)]  # fmt: skip
    assert all(spain.is_holiday(day) for day in good_fridays)
    assert not spain.is_holiday(date(2029, 3, 29)) and not spain.is_holiday(date(2029, 4, 2))
    sla = model.slas["ticket"]
    assert {t.calendar for t in sla.targets} == {"spain"}
    assert sla.pause_when == 'status == "pending"' and sla.warn_at == 0.8


def test_yearly_holidays_recur_and_a_bad_one_is_refused_by_the_schema(tmp_path: Path) -> None:
    text = 'week: {monday: ["09:00-17:00"]}\nyearly_holidays: ["12-25", easter+1, "02-29"]\n'
    office = load_package(_package(tmp_path, text)).calendars["office"]
    assert office.yearly == frozenset({(12, 25), (2, 29)}) and office.easter_offsets == {1}
    assert office.is_holiday(date(2031, 12, 25)) and office.is_holiday(date(2028, 2, 29))
    assert office.is_holiday(date(2029, 4, 2))  # Easter Monday 2029
    bad = 'week: {monday: ["09:00-17:00"]}\nyearly_holidays:\n  - "25 Dec"\n'
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path / "bad", bad))
    # The SLA of the test package then names a calendar that did not load (MD275).
    (problem,) = [d for d in caught.value.diagnostics if d.code != "MD275"]
    assert (problem.code, problem.span.line, problem.span.col) == ("MD006", 3, 5)
    assert "'yearly_holidays' item 1 is '25 Dec'" in problem.message
