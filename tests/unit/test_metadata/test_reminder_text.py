"""A reminder's ``text`` may carry one value per locale, as labels do; a plain string
stays valid and a bad per-locale value is refused with its position."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import load_package
from trellis.metadata.model.local_text import LocalText, label_for
from trellis.metadata.model.schedules import DEFAULT_REMINDER_TEXT
from trellis.seed.crm import PACKAGE_PATH

ACTIVITY = "fields:\n  subject: {type: string}\n  remind_at: {type: datetime}\n"


def _package(tmp_path: Path, reminder: str) -> Path:
    (tmp_path / "entities").mkdir(parents=True)
    (tmp_path / "reminders").mkdir()
    (tmp_path / "app.yaml").write_text("name: demo\nversion: '1.0'\n", encoding="utf-8")
    (tmp_path / "entities" / "activity.yaml").write_text(ACTIVITY, encoding="utf-8")
    (tmp_path / "reminders" / "activity.yaml").write_text(reminder, encoding="utf-8")
    return tmp_path


def _refused(tmp_path: Path, reminder: str) -> tuple[str, int, int]:
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path, reminder))
    (problem,) = caught.value.diagnostics
    assert problem.span.path.endswith("reminders/activity.yaml")
    return problem.code, problem.span.line, problem.span.col


def test_a_per_locale_text_keeps_each_locale(tmp_path: Path) -> None:
    reminder = 'field: remind_at\ntext: {en: "Call {{ subject }}", es: "Llamar a {{ subject }}"}\n'
    text = load_package(_package(tmp_path, reminder)).reminders["activity"].text
    assert isinstance(text, LocalText)
    assert text == "Call {{ subject }}"
    assert label_for(text, "es") == "Llamar a {{ subject }}"
    assert label_for(text, "en") == "Call {{ subject }}"


def test_a_plain_text_and_no_text_stay_valid(tmp_path: Path) -> None:
    plain = load_package(_package(tmp_path / "a", 'field: remind_at\ntext: "Call {{ subject }}"\n'))
    assert plain.reminders["activity"].text == "Call {{ subject }}"
    assert not isinstance(plain.reminders["activity"].text, LocalText)
    bare = load_package(_package(tmp_path / "b", "field: remind_at\n"))
    assert bare.reminders["activity"].text == DEFAULT_REMINDER_TEXT


def test_an_unknown_locale_is_refused_with_its_position(tmp_path: Path) -> None:
    reminder = "field: remind_at\ntext: {en: Call, fr: Appeler}\n"
    assert _refused(tmp_path, reminder) == ("MD200", 2, 18)


def test_a_value_that_is_not_text_is_refused_with_its_position(tmp_path: Path) -> None:
    reminder = "field: remind_at\ntext: {en: Call, es: [Llamar]}\n"
    assert _refused(tmp_path / "a", reminder) == ("MD004", 2, 22)
    assert _refused(tmp_path / "b", "field: remind_at\ntext: {en: Call, es: 5}\n") == (
        "MD004",
        2,
        22,
    )


def test_an_empty_mapping_is_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "field: remind_at\ntext: {}\n") == ("MD008", 2, 7)


def test_the_crm_activity_reminder_speaks_spanish_too() -> None:
    text = load_package(Path(str(PACKAGE_PATH))).reminders["activity"].text
    assert label_for(text, "es") == "Recordatorio: {{ subject }}"
    assert label_for(text, "en") == "Reminder: {{ subject }}"
