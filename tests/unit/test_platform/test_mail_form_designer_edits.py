"""The text edits of the e-mail template and public form designers (issue 16)."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest
import yaml

from trellis.platform.designers.field_yaml import parse_entity
from trellis.platform.designers.form_service import (
    FieldRow,
    FormChange,
    FormEditError,
    _rows,
    edited_text,
)
from trellis.platform.designers.form_yaml import comments
from trellis.platform.designers.mail_blocks import block_text, set_block_text
from trellis.platform.designers.mail_service import check_template, edited_source

FORM = textwrap.dedent(
    """\
    # The contact form. (header comment)
    form: contact-us
    entity: enquiry
    title: {en: Contact us, es: Contáctenos}   # shown as the heading
    description:
      # what visitors read first
      en: We answer within a day.
      es: Respondemos en un día.
    fields:                # shown in this order
      # the name first
      - {field: name, label: {en: Your name, es: Su nombre}}
      - email              # a plain name
      # the topic
      - field: topic
        required: true     # always asked
      - {field: message, help: Tell us more.}
    hidden: {source: web}
    success: {message: {en: "Thanks!", es: "¡Gracias!"}}
    """
)


def _change(**texts: dict[str, str]) -> FormChange:
    return FormChange(_rows(parse_entity(FORM)), dict(texts))


def test_an_unchanged_form_is_written_back_byte_for_byte() -> None:
    assert edited_text(FORM, _change()) == FORM
    same = _change(title={"en": "Contact us", "es": "Contáctenos"})
    assert edited_text(FORM, same) == FORM


def test_form_edits_keep_every_comment_and_unchanged_items_as_written() -> None:
    rows = list(_rows(parse_entity(FORM)))
    rows[0] = dataclasses.replace(rows[0], position=3)  # name after topic
    rows[1] = dataclasses.replace(rows[1], remove=True)  # email goes
    rows[3] = dataclasses.replace(rows[3], label={"en": "Message", "es": "Mensaje"})
    change = FormChange(
        rows,
        {"description": {"en": "Soon.", "es": "Pronto."}, "success": {"en": "Ok", "es": "Vale"}},
        add="rating",
    )
    out = edited_text(FORM, change)
    data = yaml.safe_load(out)
    assert [f if isinstance(f, str) else f["field"] for f in data["fields"]] == [
        "topic",
        "name",
        "message",
        "rating",
    ]
    assert data["fields"][2]["label"] == {"en": "Message", "es": "Mensaje"}
    assert data["fields"][2]["help"] == "Tell us more."  # kept as it was
    assert data["description"] == {"en": "Soon.", "es": "Pronto."}
    assert data["success"] == {"message": {"en": "Ok", "es": "Vale"}}
    assert data["title"] == {"en": "Contact us", "es": "Contáctenos"}
    assert sorted(comments(out)) == sorted(comments(FORM))  # moved at most, never lost
    assert "- field: topic\n    required: true     # always asked" in out  # as written
    assert out.startswith("# The contact form. (header comment)\n")


def test_a_form_without_fields_is_refused() -> None:
    rows = [dataclasses.replace(r, remove=True) for r in _rows(parse_entity(FORM))]
    with pytest.raises(FormEditError, match="at least one field"):
        edited_text(FORM, FormChange(rows, {}))


def test_a_missing_text_is_added_to_its_mapping() -> None:
    text = "entity: enquiry\nfields: [name, email]\nsuccess:\n  redirect: https://x.test/\n"
    row = FieldRow("name", {}, {}, True, 1)
    out = edited_text(text, FormChange([row], {"submit_label": {"en": "Go", "es": "Ir"}}))
    data = yaml.safe_load(out)
    assert data["fields"] == [{"field": "name", "required": True}]
    assert data["submit_label"] == {"en": "Go", "es": "Ir"}


TEMPLATE = (
    "{# greeting #}\n{% block subject %}Hi {{ name }}{% endblock %}\n"
    "{%- block text -%}\nDear {{ name }},\n{%- endblock text %}\n"
)


def test_mail_blocks_are_replaced_in_place() -> None:
    assert block_text(TEMPLATE, "subject") == "Hi {{ name }}"
    assert block_text(TEMPLATE, "text") == "\nDear {{ name }},\n"
    assert block_text(TEMPLATE, "html") is None
    out = set_block_text(TEMPLATE, "subject", "Hola {{ name }}")
    assert out == TEMPLATE.replace("Hi {{", "Hola {{")
    with_html = set_block_text(out, "html", "<p>{{ name }}</p>")
    assert block_text(with_html, "html") == "<p>{{ name }}</p>"
    assert set_block_text(with_html, "html", "  ") == out  # an empty html block goes
    assert edited_source(TEMPLATE, {"subject": "x", "text": "y", "html": ""}).startswith(
        "{# greeting #}\n{% block subject %}x{% endblock %}"
    )


def test_template_check_places_errors_with_a_stable_code() -> None:
    path = "email_templates/hello.es.j2"
    assert check_template(path, TEMPLATE) == []
    bad = "{% block subject %}Hi{% endblock %}\n{% block text %}x {{ name }{% endblock %}\n"
    (problem,) = check_template(path, bad)
    assert (problem.line, problem.col, problem.code) == (2, 1, "ET001")
    assert problem.text.startswith("email_templates/hello.es.j2:2:1: error ET001: ")
    missing = check_template(path, "{% block subject %}Hi{% endblock %}")
    assert [p.code for p in missing] == ["ET002"]
    private = "{% block subject %}{{ x.__class__ }}{% endblock %}{% block text %}{% endblock %}"
    assert [p.code for p in check_template(path, private)] == ["ET003"]
