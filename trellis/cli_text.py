"""The language of command-line output (``LC_ALL``/``LC_MESSAGES``/``LANG``): English or
Spanish through the platform's gettext catalogue (docs/i18n.md).

Imports happen on use, as in the command modules, so ``trellis --help`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trellis.platform.i18n import Translator


def cli_translator() -> Translator:
    """A translator for the locale of the environment (English when none is shipped)."""
    from trellis.platform.config.env import cli_locale
    from trellis.platform.i18n import Translator, choose_locale

    return Translator(choose_locale(cli_locale()))


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (as the platform's
    ``N_``, without importing the catalogue code)."""
    return message


def error_text(exc: BaseException) -> str:
    """An exception's message in the command line's language (a Translatable is looked
    up; other text is kept as it is)."""
    first = exc.args[0] if exc.args else None
    if not isinstance(first, str) or not hasattr(first, "msgid"):
        return str(exc)  # plain text: no catalogue needed
    return cli_translator().message(first)


class CliError(Exception):
    """A command failed with a message for the user (exit code 1)."""


__all__ = ["N_", "CliError", "cli_translator", "error_text"]
