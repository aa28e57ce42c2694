"""E-mail templates render in a sandbox: escapes to Python internals fail with a clear error."""

from __future__ import annotations

import pytest

from trellis.platform.jobs.mail import EmailError, build_message, private_names, render_email

CONTEXT = {"name": "Acme & co", "amount": 5000, "record": {"name": "Acme & co"}}


def _template(text: str, html: str = "") -> str:
    page = f"{{% block html %}}{html}{{% endblock %}}" if html else ""
    return (
        f"{{% block subject %}}Deal{{% endblock %}}{{% block text %}}{text}{{% endblock %}}{page}"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{{ ''.__class__.__mro__ }}", "line 1: '__class__', line 1: '__mro__'"),
        ("{{ cycler.__init__.__globals__ }}", "line 1: '__globals__', line 1: '__init__'"),
        ("{{ lipsum.__globals__['os'] }}", "'__globals__'"),
        ("{{ name._secret }}", "'_secret'"),
        ("{{ record['__class__'] }}", "'__class__'"),
        ("{{ self.__dict__ }}", "'__dict__'"),
        ("Hi\n{{ namespace.__init__ }}", "line 2: '__init__'"),
    ],
)
def test_private_names_are_refused_before_rendering(text: str, reason: str) -> None:
    with pytest.raises(EmailError) as caught:
        render_email("evil", _template(text), CONTEXT)
    message = str(caught.value)
    assert message.startswith("Email template 'evil' is refused: names starting with '_'")
    assert reason in message
    assert "<class" not in message and "mro" not in message.replace("'__mro__'", "")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{{ ''|attr('__class__') }}", "access to attribute '__class__' of a str is not allowed"),
        ("{{ (name|attr('__cla' ~ 'ss__')) }}", "attribute '__class__' of a str is not allowed"),
        ("{{ name.format.__self__ }}", "names starting with '_'"),
        ("{{ 'x' * 10000000 }}", "'*' would build more than 100000 items"),
        ("{{ [1] * 10000000 }}", "'*' would build more than 100000 items"),
        ("{{ 2 ** 100000000 }}", "exponent 100000000 is too large"),
        ("{{ range(1000000000)|list }}", "Range too big"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{% for x in %}", "failed: Expected an expression"),
    ],
)
def test_unsafe_operations_fail_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(EmailError, match=r"Email template 'evil' (is refused|failed)") as caught:
        render_email("evil", _template(text), CONTEXT)
    assert reason in str(caught.value)


def test_the_html_part_is_sandboxed_too() -> None:
    with pytest.raises(EmailError, match="'__class__' of a str is not allowed"):
        render_email("evil", _template("ok", "{{ ''|attr('__class__') }}"), CONTEXT)


def test_ordinary_templates_still_render() -> None:
    rendered = render_email(
        "deal",
        _template("Deal {{ name }} is worth {{ amount * 2 }}.", "<b>{{ record.name }}</b>"),
        CONTEXT,
    )
    assert (rendered.subject, rendered.text) == ("Deal", "Deal Acme & co is worth 10000.")
    assert rendered.html == "<b>Acme &amp; co</b>"
    assert private_names("{{ name.upper() }} {{ record['name'] }}") == []


def test_record_values_cannot_add_mail_headers() -> None:
    source = (
        "{% block subject %}Deal {{ name }}{% endblock %}"
        "{% block text %}Body {{ name }}{% endblock %}"
    )
    evil = "Acme\r\nBcc: thief@evil.test\r\nX-Injected: 1"
    rendered = render_email("deal", source, {"name": evil})
    assert rendered.subject == "Deal Acme Bcc: thief@evil.test X-Injected: 1"
    message = build_message(rendered, "rep@acme.test", "crm@acme.test", "<m-1@acme.test>")
    headers = message.as_bytes().split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Injected:" not in headers
    assert message.get_all("Bcc") is None and message["To"] == "rep@acme.test"
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        build_message(rendered, "rep@acme.test\r\nBcc: thief@evil.test", "c@a.test", "<m-2@a>")
