"""Check every rule file of a package (or one file's text) and compile the rules.

Every problem is reported at ``path:line:col`` of its file (see ``checker``); rule
names must be unique across the package.
"""

from __future__ import annotations

from trellis.metadata.diagnostics import Diagnostic, Severity
from trellis.metadata.model import AppModel, RuleSource
from trellis.rules.triggers import codes
from trellis.rules.triggers.checker import FileChecker
from trellis.rules.triggers.compiled import CompiledRule
from trellis.rules.triggers.errors import RuleFileError
from trellis.rules.triggers.parser import parse_rules


def check_rules(model: AppModel) -> tuple[list[CompiledRule], list[Diagnostic]]:
    """Parse, check and compile every rule file of ``model``.

    Returns the rules that compiled and every diagnostic of every file (errors and
    ``RL111`` warnings). Never raises for bad input.
    """
    rules: list[CompiledRule] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for source in model.rule_sources:
        found, problems = _check_source(model, source, seen)
        rules.extend(found)
        diagnostics.extend(problems)
    return rules, sorted(diagnostics, key=Diagnostic.sort_key)


def check_rule_source(
    model: AppModel, text: str, path: str = "<rules>"
) -> tuple[list[CompiledRule], list[Diagnostic]]:
    """Parse, check and compile the text of one rule file against ``model`` (rule editor).

    Rule names are checked for duplicates within ``text`` only. Never raises for bad input.
    """
    rules, diagnostics = _check_source(model, RuleSource(path, text), set())
    return rules, sorted(diagnostics, key=Diagnostic.sort_key)


def _check_source(
    model: AppModel, source: RuleSource, seen: set[str]
) -> tuple[list[CompiledRule], list[Diagnostic]]:
    """The rules of one file and its diagnostics; adds the rule names to ``seen``."""
    try:
        parsed = parse_rules(source.text, source.path)
    except RuleFileError as err:
        return [], list(err.diagnostics)
    rules: list[CompiledRule] = []
    checker = FileChecker(model, source.path, source.text)
    for rule in parsed:
        if rule.name in seen:
            checker.error(
                codes.DUPLICATE_RULE,
                f"Another rule is already named '{rule.name}'; rule names must be unique",
                rule.pos,
            )
            continue
        seen.add(rule.name)
        compiled = checker.rule(rule)
        if compiled is not None:
            rules.append(compiled)
    return rules, checker.diagnostics


def compile_rules(model: AppModel) -> list[CompiledRule]:
    """The compiled rules of ``model``.

    Raises:
        RuleFileError: With every error when a rule file is not valid.
    """
    rules, diagnostics = check_rules(model)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise RuleFileError(errors)
    return rules


__all__ = ["check_rule_source", "check_rules", "compile_rules"]
