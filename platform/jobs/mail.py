"""Email jobs: sandboxed Jinja2 templates from the app package, sent over SMTP.

Templates are ``email_templates/<name>.j2`` with ``{% block subject %}``,
``{% block text %}`` and optionally ``{% block html %}`` (DESIGN.md §13). The
subject and text are rendered without escaping, the HTML part with autoescape.
``TRELLIS_SMTP_URL`` (``RuntimeConfig.smtp_url``: ``smtp://[user:password@]host:port``,
``smtps://`` for TLS from the start, ``?starttls=1`` to upgrade) is the server of every
tenant without its own.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from trellis.platform.config import RuntimeConfig

TEMPLATE_DIR = "email_templates"
DEFAULT_SENDER = "trellis@localhost"
DEFAULT_TIMEOUT = 15.0
#: The longest text or list ``*`` may build, and the largest exponent ``**`` may take.
MAX_REPEAT = 100_000
MAX_EXPONENT = 128


class EmailError(Exception):
    """An email could not be built or sent."""


class EmailSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, stricter: unsafe attributes fail at once and sizes are bounded.

    The stock sandbox turns ``''.__class__`` into an undefined value that renders as
    nothing, so a probing template "works"; here it raises ``SecurityError`` naming the
    attribute. ``*`` and ``**`` are bounded so a template cannot exhaust the worker.
    """

    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Refuse an unsafe attribute instead of rendering it empty."""
        raise SecurityError(
            f"access to attribute '{attribute}' of a {type(obj).__name__} is not allowed"
        )

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**`` within :data:`MAX_REPEAT` and :data:`MAX_EXPONENT`."""
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                sized = isinstance(items, str | list | tuple) and isinstance(times, int)
                if sized and len(items) * times > MAX_REPEAT:
                    raise SecurityError(f"'*' would build more than {MAX_REPEAT} items")
        return super().call_binop(context, operator, left, right)


def private_names(source: str) -> list[str]:
    """``line N: 'name'`` for every ``x._name`` or ``x['_name']`` in a template.

    Names starting with ``_`` reach Python internals (``__class__``, ``__globals__``);
    templates only need record fields, which never start with ``_``.

    Raises:
        jinja2.TemplateSyntaxError: the template does not parse.
    """
    found: list[tuple[int, str]] = []
    for node in _PLAIN.parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value if isinstance(node.arg.value, str) else None
        if name is not None and name.startswith("_"):
            found.append((node.lineno, name))
    return [f"line {line}: '{name}'" for line, name in sorted(set(found))]


_PLAIN = EmailSandbox(autoescape=False)
_HTML = EmailSandbox(autoescape=True)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send mail."""

    host: str
    port: int = 25
    ssl: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_SENDER


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """The parts of one rendered template."""

    subject: str
    text: str
    html: str | None
    #: ``{% block purpose %}marketing{% endblock %}``: sent only with the person's consent.
    purpose: str | None = None
    #: ``{% block list_unsubscribe %}https://…{% endblock %}``: the one-click unsubscribe
    #: address (RFC 8058), sent as ``List-Unsubscribe`` with ``List-Unsubscribe-Post``.
    list_unsubscribe: str | None = None


#: A ``list_unsubscribe`` address: https, no spaces or angle brackets.
_HTTPS = re.compile(r"^https://[^\s<>,]+$")


def smtp_from_url(url: str, sender: str | None = None) -> SmtpSettings:
    """Parse an ``smtp://`` or ``smtps://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise EmailError(f"SMTP URL '{url}' is not valid: use smtp://host:port or smtps://.")
    query = parse_qs(parts.query)
    ssl = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if ssl else 25),
        ssl=ssl,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=sender or query.get("from", [DEFAULT_SENDER])[0],
    )


def default_smtp(config: RuntimeConfig) -> SmtpSettings | None:
    """The server of ``config.smtp_url`` (``TRELLIS_SMTP_URL``), or None when unset."""
    url = config.smtp_url
    return smtp_from_url(url, config.smtp_from) if url else None


def template_path(name: str) -> str:
    """The package-relative path of email template ``name``."""
    return f"{TEMPLATE_DIR}/{name}.j2"


def template_context(
    record: dict[str, Any],
    *,
    rule: Any,
    tenant: str,
    signed_link: Any,
    tracked_url: Any,
) -> dict[str, Any]:
    """What a template sees: the record's fields by name and as ``record``, the rule,
    the tenant, and the ``signed_link`` / ``tracked_url`` functions.

    The mailer and the e-mail template designer's preview both build it here, so a
    preview renders exactly what would be sent.
    """
    return {
        **record,
        "record": record,
        "rule": rule,
        "tenant": tenant,
        "signed_link": signed_link,
        "tracked_url": tracked_url,
    }


def render_email(name: str, source: str, context: dict[str, Any]) -> RenderedEmail:
    """Render the blocks of template ``name`` with ``context`` in the sandbox.

    Raises:
        EmailError: a syntax error, a missing block, a name starting with ``_``, an unsafe
            attribute or operation; the message names the template and the reason.
    """
    try:
        private = private_names(source)
        if private:
            raise EmailError(
                f"Email template '{name}' is refused: names starting with '_' are not "
                f"allowed ({', '.join(private)})."
            )
        plain = _PLAIN.from_string(source)
        parts: dict[str, str | None] = {}
        for block in ("subject", "text"):
            render = plain.blocks.get(block)
            if render is None:
                raise EmailError(f"Email template '{name}' has no {{% block {block} %}}.")
            parts[block] = "".join(render(plain.new_context(context))).strip()
        html = None
        purpose = None
        if "purpose" in plain.blocks:
            found = "".join(plain.blocks["purpose"](plain.new_context(context))).strip()
            purpose = found or None
        unsubscribe = None
        if "list_unsubscribe" in plain.blocks:
            found = "".join(plain.blocks["list_unsubscribe"](plain.new_context(context))).strip()
            if found and not _HTTPS.match(found):
                raise EmailError(
                    f"Email template '{name}': list_unsubscribe must be one https:// address."
                )
            unsubscribe = found or None
        if "html" in plain.blocks:
            rich = _HTML.from_string(source)
            html = "".join(rich.blocks["html"](rich.new_context(context))).strip()
    except TemplateError as exc:
        raise EmailError(f"Email template '{name}' failed: {exc}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # A template bug (1/0, a huge number) is as permanent as a syntax error.
        raise EmailError(f"Email template '{name}' failed: {type(exc).__name__}: {exc}") from None
    subject = " ".join(str(parts["subject"]).split())
    return RenderedEmail(subject, str(parts["text"]), html, purpose, unsubscribe)


def build_message(rendered: RenderedEmail, to: str, sender: str, message_id: str) -> EmailMessage:
    """The MIME message; ``message_id`` is stable across retries of one job."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = message_id
    if rendered.list_unsubscribe:
        # An address cannot be folded; the default 78-column policy would encode it
        # (RFC 2047), which mail providers do not read. 998 is RFC 5322's line limit.
        message.policy = message.policy.clone(max_line_length=998)
        message["List-Unsubscribe"] = f"<{rendered.list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text + "\n")
    if rendered.html:
        message.add_alternative(rendered.html, subtype="html")
    return message


def send_message(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send ``message``; raises ``EmailError`` on any SMTP or network failure.

    TLS (``smtps://`` or STARTTLS) checks the server's certificate and host name against
    the system's trusted authorities: ``smtplib``'s own default context checks neither.
    """
    import smtplib  # on first send: a server that sends no mail does not load it

    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if settings.ssl:
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=DEFAULT_TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=DEFAULT_TIMEOUT)
        with client:
            if settings.starttls and not settings.ssl:
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(
            f"SMTP {settings.host}:{settings.port} failed: {type(exc).__name__}: {exc}"
        ) from None


__all__ = [
    "TEMPLATE_DIR",
    "EmailError",
    "EmailSandbox",
    "RenderedEmail",
    "SmtpSettings",
    "build_message",
    "default_smtp",
    "private_names",
    "render_email",
    "send_message",
    "smtp_from_url",
    "template_context",
    "template_path",
]
