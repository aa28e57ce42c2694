"""Parsers of ``TRELLIS_*`` values: each turns the raw text into the setting's value or
raises ``ValueError`` with a message naming the variable, its value and what is expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
#: The password of ``scheme://user:password@host`` (masked in messages).
_PASSWORD = re.compile(r"(?<=:)[^:@/]+(?=@)")

#: Turns a variable's raw text into its value; raises ``ValueError`` with the message.
Parser = Callable[[str, str], object]


def shown(raw: str) -> str:
    """``raw`` as an error message may show it: a URL's password is masked."""
    return _PASSWORD.sub("***", raw)


def bad(name: str, raw: str, expected: str) -> ValueError:
    return ValueError(f"{name} has value '{shown(raw)}'. {expected}")


def text(_name: str, raw: str) -> object:
    return raw


def path(_name: str, raw: str) -> object:
    return Path(raw)


def flag(name: str, raw: str) -> object:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise bad(name, raw, "Not a valid bool: use 1, true, yes or on (0, false, no or off).")


def number(minimum: float, *, whole: bool = False) -> Parser:
    """A number (a whole one when ``whole``) of at least ``minimum``."""

    def parse(name: str, raw: str) -> object:
        text = raw.strip()
        try:
            value = float(text)
        except ValueError:
            raise bad(name, raw, "Not a number.") from None
        if not math.isfinite(value):
            raise bad(name, raw, "Not a number.")
        if whole and not value.is_integer():
            raise bad(name, raw, "Not a whole number.")
        if value < minimum:
            raise bad(name, raw, f"It must be at least {minimum:g}.")
        return int(value) if whole else value

    return parse


def url(schemes: tuple[str, ...], expected: str) -> Parser:
    """A URL whose scheme is one of ``schemes`` and that names a host (or a socket path)."""

    def parse(name: str, raw: str) -> object:
        text = raw.strip()
        try:
            parts = urlsplit(text)
            scheme = parts.scheme.split("+", 1)[0]
            located = bool(parts.hostname) or scheme == "unix" or bool(parts.path)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:  # an unparsable port or address
            raise bad(name, raw, expected) from None
        if scheme not in schemes or not located or not port_ok:
            raise bad(name, raw, expected)
        return text

    return parse


def choice(*choices: str) -> Parser:
    """One of ``choices`` (case-insensitive)."""

    def parse(name: str, raw: str) -> object:
        value = raw.strip().lower()
        if value not in choices:
            raise bad(name, raw, f"Use one of: {', '.join(choices)}.")
        return value

    return parse


def smtp_url(name: str, raw: str) -> object:
    text = str(url(("smtp", "smtps"), _SMTP_EXPECTED)(name, raw))
    if not urlsplit(text).hostname:
        raise bad(name, raw, _SMTP_EXPECTED)
    return text


def address(name: str, raw: str) -> object:
    text = raw.strip()
    local, _, domain = text.rpartition("@")
    if not local or not domain or any(c.isspace() for c in text):
        raise bad(name, raw, "Not an e-mail address such as trellis@example.com.")
    return text


def queue(name: str, raw: str) -> object:
    text = raw.strip()
    if any(c.isspace() for c in text):
        raise bad(name, raw, "A queue name has no spaces, e.g. trellis-jobs.")
    return text


_SMTP_EXPECTED = "Not an SMTP URL: use smtp://[user:password@]host:port or smtps://host:465."


__all__ = [
    "Parser",
    "address",
    "bad",
    "choice",
    "flag",
    "number",
    "path",
    "queue",
    "shown",
    "smtp_url",
    "text",
    "url",
]
