"""The e-mail template designer's domain: ``email_templates/<name>[.<locale>].j2`` in the draft.

A template has a ``subject``, a ``text`` and optionally an ``html`` block; the mailer
reads ``<name>.<locale>.j2`` for a reader of that language, else ``<name>.j2``. The
designer edits the blocks of one locale's file in place (everything else in the file,
``{# comments #}`` and other blocks, stays as written), checks it with the mailer's own
sandbox (syntax errors placed at file:line:col with a stable code) and saves it in the
draft at the revision the admin read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from jinja2 import TemplateSyntaxError, nodes

from trellis.platform.designers.mail_blocks import BLOCKS, block_text, set_block_text
from trellis.platform.designers.service import draft_state
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.jobs.mail import TEMPLATE_DIR, EmailSandbox, private_names
from trellis.platform.runtime import Runtime

#: The locales the designer edits; English is the file every other language falls back to.
LOCALES = ("en", "es")
TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_TAG = re.compile(r"\{[{%#]")
_CHECKER = EmailSandbox(autoescape=False)
#: Stable codes of the designer's template check.
SYNTAX, NO_BLOCK, PRIVATE = "ET001", "ET002", "ET003"


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One error of a template: where (1-based), a stable code, the message, a suggestion."""

    path: str
    line: int
    col: int
    code: str
    message: str
    suggestion: str = ""

    @property
    def text(self) -> str:
        """The CLI's format: ``email_templates/x.es.j2:2:5: error ET001: …``."""
        hint = f" ({self.suggestion})" if self.suggestion else ""
        return f"{self.path}:{self.line}:{self.col}: error {self.code}: {self.message}{hint}"


class TemplateCheckError(DraftError):
    """The template has errors; nothing was saved."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.text for p in problems))


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """One template of the draft: its name and which locale files it has."""

    name: str
    locales: tuple[str, ...]
    changed: bool


@dataclass(frozen=True, slots=True)
class TemplateText:
    """The blocks of one locale's file as the draft has it (empty when it has none)."""

    name: str
    locale: str
    path: str
    exists: bool
    source: str
    blocks: dict[str, str]
    revision: int


def locale_path(name: str, locale: str, files: dict[str, str] | None = None) -> str:
    """The file of ``name`` the designer edits for ``locale``.

    English edits ``<name>.en.j2`` when the package has one, else ``<name>.j2``.

    Raises:
        DraftFileNotFoundError: not a template name or locale.
    """
    if not TEMPLATE_NAME.fullmatch(name) or locale not in LOCALES:
        raise DraftFileNotFoundError(f"'{name}' ({locale}) is not an e-mail template.")
    own = f"{TEMPLATE_DIR}/{name}.{locale}.j2"
    if locale != "en" or (files is not None and own in files):
        return own
    return f"{TEMPLATE_DIR}/{name}.j2"


def _split(path: str) -> tuple[str, str | None] | None:
    pure = PurePosixPath(path)
    if len(pure.parts) != 2 or pure.parts[0] != TEMPLATE_DIR or pure.suffix != ".j2":
        return None
    name, _, locale = pure.stem.partition(".")
    return name, locale or None


def template_rows(runtime: Runtime, tenant: str) -> tuple[list[TemplateRow], int]:
    """Every e-mail template of the draft, by name, and the draft revision."""
    state, draft = draft_state(runtime, tenant)
    found: dict[str, set[str]] = {}
    changed: set[str] = set()
    for path in draft_files(state, draft):
        parts = _split(path)
        if parts is None:
            continue
        name, locale = parts
        found.setdefault(name, set()).add(locale or "en")
        if path in draft.files:
            changed.add(name)
    rows = [
        TemplateRow(name, tuple(sorted(locales)), name in changed)
        for name, locales in sorted(found.items())
    ]
    return rows, draft.revision


def template_text(runtime: Runtime, tenant: str, name: str, locale: str) -> TemplateText:
    """The ``locale`` file of template ``name`` as the draft has it.

    Raises:
        DraftFileNotFoundError: the draft has no template ``name`` (in any locale).
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    if not any((_split(p) or ("",))[0] == name for p in files):
        raise DraftFileNotFoundError(f"The draft has no e-mail template '{name}'.")
    path = locale_path(name, locale, files)
    source = files.get(path)
    text = source or ""
    blocks = {b: block_text(text, b) or "" for b in BLOCKS}
    return TemplateText(name, locale, path, source is not None, text, blocks, draft.revision)


def _column(source: str, line: int) -> int:
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    found = _TAG.search(text)
    return found.start() + 1 if found else len(text) - len(text.lstrip()) + 1


def check_template(path: str, source: str) -> list[TemplateProblem]:
    """The errors the mailer would meet rendering ``source`` (empty: it renders).

    Jinja2 reports only a line; the column is the first tag on that line.
    """
    try:
        tree = _CHECKER.parse(source)
        _CHECKER.from_string(source)  # compiles: unknown filters and tests fail here
        private = private_names(source)
    except TemplateSyntaxError as exc:
        line = exc.lineno or 1
        message = f"template syntax error: {exc.message}"
        hint = "close every {% … %} and {{ … }}, and end each block with {% endblock %}"
        return [TemplateProblem(path, line, _column(source, line), SYNTAX, message, hint)]
    problems = []
    for item in private:
        where, _, shown = item.partition(": ")
        line = int(where.removeprefix("line "))
        message = f"names starting with '_' are not allowed in templates: {shown}"
        problems.append(TemplateProblem(path, line, _column(source, line), PRIVATE, message))
    declared = {b.name for b in tree.find_all(nodes.Block)}
    for block in ("subject", "text"):
        if block not in declared:
            message = f"no {{% block {block} %}}: the mailer needs a subject and a text"
            hint = f"add {{% block {block} %}}…{{% endblock %}}"
            problems.append(TemplateProblem(path, 1, 1, NO_BLOCK, message, hint))
    return problems


def edited_source(current: str, blocks: dict[str, str]) -> str:
    """``current`` with each block of ``blocks`` set (an empty ``html`` removes it)."""
    source = current
    for block in BLOCKS:
        if block in blocks:
            source = set_block_text(source, block, blocks[block])
    return source


def save_template(
    runtime: Runtime,
    tenant: str,
    name: str,
    locale: str,
    blocks: dict[str, str],
    *,
    expected: int,
    actor: str,
) -> int:
    """Write ``blocks`` into template ``name``'s ``locale`` file of the draft.

    Returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such template.
        TemplateCheckError: the changed template does not render (placed errors).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    current = template_text(runtime, tenant, name, locale)
    source = edited_source(current.source, blocks)
    problems = check_template(current.path, source)
    if problems:
        raise TemplateCheckError(problems)
    state, _draft = draft_state(runtime, tenant)
    return DraftStore(runtime.registry).save(state.info, current.path, source, expected, actor)


__all__ = [
    "LOCALES",
    "NO_BLOCK",
    "PRIVATE",
    "SYNTAX",
    "TemplateCheckError",
    "TemplateProblem",
    "TemplateRow",
    "TemplateText",
    "check_template",
    "edited_source",
    "locale_path",
    "save_template",
    "template_rows",
    "template_text",
]
