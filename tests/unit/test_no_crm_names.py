"""Platform code never names an entity of the CRM template: CRM features live in metadata.

Every Python string constant and every quoted word in a screen template outside seed/
and tests/ is compared with the CRM's entity names (the template's entity files, and
the entities its issue plans), so a feature that only works for ``opportunity`` fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_FOLDERS = ("trellis", "platform", "metadata", "rules", "ui", "tenants")
#: Entities the CRM template ships or plans (its entity files are added below).
PLANNED = {
    "account", "contact", "lead", "segment", "product", "price_book", "opportunity",
    "opportunity_line", "quote", "quote_line", "sales_order", "order_line", "payment",
    "quota", "campaign", "campaign_member", "ticket", "knowledge_article", "survey",
    "survey_response", "return_request", "conversation", "activity",
}  # fmt: skip
QUOTED = re.compile(r"""["']([a-z_]+)["']""")
#: Jinja expressions and statements, and entity paths in links.
JINJA = re.compile(r"\{[{%].*?[%}]\}")
ENTITY_PATH = re.compile(r"/e/([a-z_]+)")


def crm_entities() -> set[str]:
    """The entity names of seed/crm plus the planned ones."""
    files = (ROOT / "seed" / "crm" / "entities").glob("*.yaml")
    return PLANNED | {p.stem for p in files}


def python_hits(names: set[str]) -> list[str]:
    """``file:line: 'name'`` for every string constant equal to a CRM entity name."""
    hits = []
    for folder in PLATFORM_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in names:
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    return hits


def template_hits(names: set[str]) -> list[str]:
    """``file:line: 'name'`` for a CRM entity name quoted in Jinja code or in an ``/e/`` path."""
    hits = []
    for folder in PLATFORM_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.html")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                code = " ".join(JINJA.findall(line))
                for word in [*QUOTED.findall(code), *ENTITY_PATH.findall(line)]:
                    if word in names:
                        hits.append(f"{path.relative_to(ROOT)}:{number}: {word!r}")
    return hits


def test_platform_code_names_no_crm_entity() -> None:
    names = crm_entities()
    assert "opportunity" in names and len(names) > 10
    assert python_hits(names) + template_hits(names) == []


def test_the_check_finds_a_named_entity(tmp_path: Path) -> None:
    tree = ast.parse('ENTITY = "opportunity"\nOTHER = "opportunity stage"\n')
    found = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert [v for v in found if v in crm_entities()] == ["opportunity"]
    assert QUOTED.findall(" ".join(JINJA.findall('{% if e == "ticket" %}<p id="x">'))) == ["ticket"]
    assert ENTITY_PATH.findall('<a href="/t/acme/e/lead/1">') == ["lead"]
