"""Check ``email_templates/<name>.j2`` when the package loads, not when a mail is sent.

Each template must parse as Jinja2 (MD138). A missing ``subject``/``text`` block and
names starting with ``_`` are still refused by the mailer's sandbox at send time.
Jinja2 reports only a line: the column is the unknown tag's, else the unclosed
``{{``/``{%``'s, else the first tag on that line.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._files import (
    EMAIL_TEMPLATE_DIR,
    EMAIL_TEMPLATE_SUFFIX,
    is_ignored,
    read_capped,
)
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.yaml_source import MAX_FILE_BYTES, too_large
from trellis.metadata.model import SourceSpan

#: Parses only; the mailer renders in its own sandbox.
_PARSER = SandboxedEnvironment(autoescape=False)
_TAG = re.compile(r"\{[{%#]")
_OPEN = re.compile(r"\{[{%]")
_UNKNOWN_TAG = re.compile(r"unknown tag '(?P<name>[A-Za-z_]\w*)'")
_LOOKING_FOR = re.compile(r"looking for the following tags: (?P<tags>[^.]*)")
#: Jinja2's statement tags, for "did you mean" on an unknown one.
KNOWN_TAGS = (
    "block",
    "endblock",
    "if",
    "elif",
    "else",
    "endif",
    "for",
    "endfor",
    "set",
    "endset",
    "macro",
    "endmacro",
    "call",
    "endcall",
    "filter",
    "endfilter",
    "with",
    "endwith",
    "raw",
    "endraw",
    "autoescape",
    "endautoescape",
)
_HINT = (
    "; close every '{{' with '}}', every '{%' with '%}', "
    "and every '{% block … %}' with '{% endblock %}'"
)


def _unclosed(text: str) -> int | None:
    """The offset of the first ``{{`` or ``{%`` on ``text`` not closed before the next."""
    openers = list(_OPEN.finditer(text))
    for i, found in enumerate(openers):
        close = "}}" if found.group() == "{{" else "%}"
        limit = openers[i + 1].start() if i + 1 < len(openers) else len(text)
        if close not in text[found.end() : limit]:
            return found.start()
    return None


def _column(lines: list[str], line: int, word: str | None) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if word is not None and (found := re.search(rf"\{{%-?\s*(?P<w>{re.escape(word)})\b", text)):
        return found.start("w") + 1
    if (at := _unclosed(text)) is not None:
        return at + 1
    if found := _TAG.search(text):
        return found.start() + 1
    return len(text) - len(text.lstrip()) + 1


def _syntax(exc: TemplateSyntaxError, lines: list[str], shown: str, report: Report) -> None:
    """MD138 at the error's line, with a "did you mean" for a misspelt tag."""
    line = exc.lineno or 1
    message = exc.message or "invalid template"
    unknown = _UNKNOWN_TAG.search(message)
    if unknown is None:
        span = SourceSpan(shown, line, _column(lines, line, None))
        report.error("MD138", f"template syntax error: {message}{_HINT}", span)
        return
    name = unknown.group("name")
    wanted = _LOOKING_FOR.search(message)
    expected = re.findall(r"'(\w+)'", wanted.group("tags")) if wanted else []
    suggestion = did_you_mean(name, expected) or did_you_mean(name, KNOWN_TAGS)
    text = f"template syntax error: unknown tag '{name}'"
    if expected:
        text += " (expected " + " or ".join(f"'{t}'" for t in expected) + ")"
    span = SourceSpan(shown, line, _column(lines, line, name))
    report.error("MD138", text, span, suggestion)


def check_email_template(source: str, shown: str, report: Report) -> None:
    """Report the problems of one e-mail template's text (``shown`` is its path)."""
    lines = source.splitlines()
    try:
        _PARSER.parse(source)
    except TemplateSyntaxError as exc:
        _syntax(exc, lines, shown, report)


def check_email_templates(root: Path, display: str, report: Report) -> None:
    """Check every ``email_templates/*.j2`` of the package under ``root``."""
    folder = root / EMAIL_TEMPLATE_DIR
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        wanted = entry.is_file() and entry.name.endswith(EMAIL_TEMPLATE_SUFFIX)
        if is_ignored(entry) or not wanted:
            continue
        shown = (PurePosixPath(display) / EMAIL_TEMPLATE_DIR / entry.name).as_posix()
        try:
            raw = read_capped(entry, MAX_FILE_BYTES)
            if raw is None:
                report.extend([too_large(shown)])
                continue
            source = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.error("MD001", "the template is not UTF-8 text", SourceSpan(shown, 1, 1))
            continue
        except OSError as exc:
            report.error("MD001", f"cannot read file: {exc.strerror}", SourceSpan(shown, 1, 1))
            continue
        check_email_template(source, shown, report)


__all__ = ["KNOWN_TAGS", "check_email_template", "check_email_templates"]
