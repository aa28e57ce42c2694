"""The rules editor's text edits: ``validations:`` rewritten in place, rule blocks found."""

from __future__ import annotations

import pytest
import yaml

from trellis.platform.designers import EntityFileError
from trellis.platform.designers.rules_text import (
    package_rules,
    replace_block,
    rule_blocks,
    set_validations,
)

ENTITY = """\
entity: item
fields:
  qty: {type: integer}   # kept
validations:
  - {when: "qty < 0", message: "No."}
indexes:
  - [qty]
"""
RULES = """\
# Header comment.
rule "First"
  on item created
  then notify owner "a"
end

# About the second.
rule "Say \\"hi\\""
  on other updated
  when x > 1
  then notify owner "end"
end
"""


def test_validations_are_rewritten_where_they_stand_and_the_rest_is_kept() -> None:
    items = [{"when": "qty > 9", "field": "qty", "message": {"en": "Big.", "es": "Grande."}}]
    text = set_validations(ENTITY, items)
    assert "# kept" in text and text.endswith("indexes:\n  - [qty]\n")
    assert yaml.safe_load(text)["validations"] == items
    removed = set_validations(ENTITY, [])
    assert "validations" not in removed and yaml.safe_load(removed)["indexes"] == [["qty"]]


def test_validations_are_appended_to_a_file_without_them() -> None:
    text = set_validations("entity: item\nfields: {}", [{"when": "true", "message": "x"}])
    assert yaml.safe_load(text)["validations"] == [{"when": "true", "message": "x"}]
    assert set_validations("entity: item\n", []) == "entity: item\n"


@pytest.mark.parametrize("bad", ["- a list\n", "key: [unclosed\n"])
def test_a_file_that_is_not_a_mapping_is_refused(bad: str) -> None:
    with pytest.raises(EntityFileError):
        set_validations(bad, [{"when": "true", "message": "x"}])


def test_rule_blocks_are_found_with_their_entity_line_and_text() -> None:
    first, second = rule_blocks("rules/a.rules", RULES)
    assert (first.name, first.entity, first.line) == ("First", "item", 2)
    assert first.text.startswith('rule "First"') and first.text.endswith("end\n")
    assert (second.name, second.entity, second.line) == ('Say "hi"', "other", 8)
    assert second.text.endswith("end\n")  # "end" inside the quoted text does not close it
    found = package_rules({"rules/a.rules": RULES, "entities/x.yaml": "rule"})
    assert [b.name for b in found] == ["First", 'Say "hi"']


def test_a_block_is_replaced_removed_or_appended_and_comments_stay() -> None:
    first = rule_blocks("rules/a.rules", RULES)[0]
    changed = replace_block(
        RULES, first, 'rule "First"\n  on item deleted\n  then notify owner "b"\nend'
    )
    assert "on item deleted" in changed and "on item created" not in changed
    assert changed.startswith("# Header comment.\n") and "# About the second." in changed
    removed = replace_block(RULES, first, None)
    assert "First" not in removed and [b.name for b in rule_blocks("", removed)] == ['Say "hi"']
    added = replace_block(
        RULES, None, 'rule "Third"\n  on item created\n  then notify owner "c"\nend'
    )
    assert [b.name for b in rule_blocks("", added)] == ["First", 'Say "hi"', "Third"]
    assert replace_block("", None, 'rule "A"\nend\n') == 'rule "A"\nend\n'
