"""Read and replace the text of one ``{% block … %}`` of an e-mail template, in place.

Only the block's body changes; its tags (with their whitespace control), the other
blocks and ``{# comments #}`` stay as written.
"""

from __future__ import annotations

import re

#: The blocks the e-mail template designer edits, in the order a new file gets them.
BLOCKS = ("subject", "text", "html")


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        r"(?P<open>\{%-?\s*block\s+" + re.escape(name) + r"\s*-?%\})"
        r"(?P<body>.*?)"
        r"(?P<close>\{%-?\s*endblock(?:\s+" + re.escape(name) + r")?\s*-?%\})",
        re.S,
    )


def block_text(source: str, name: str) -> str | None:
    """The body of block ``name`` of ``source`` (None when it has no such block)."""
    found = _pattern(name).search(source)
    return None if found is None else found.group("body")


def set_block_text(source: str, name: str, body: str) -> str:
    """``source`` with block ``name``'s body set to ``body``.

    A missing block is appended (on its own line); an empty ``html`` body removes
    the ``html`` block (a template without it sends text only).
    """
    body = body.replace("\r\n", "\n")
    found = _pattern(name).search(source)
    if found is None:
        if name == "html" and not body.strip():
            return source
        glue = "" if not source or source.endswith("\n") else "\n"
        return f"{source}{glue}{{% block {name} %}}{body}{{% endblock %}}\n"
    if name == "html" and not body.strip():
        end = found.end()
        if source[end : end + 1] == "\n":
            end += 1
        return source[: found.start()] + source[end:]
    return source[: found.start("body")] + body + source[found.end("body") :]


__all__ = ["BLOCKS", "block_text", "set_block_text"]
