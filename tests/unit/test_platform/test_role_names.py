"""A renamed role follows into the files that name it, which keep the rest as written."""

from __future__ import annotations

from trellis.platform.designers.role_names import role_references

FLOW = """workflow: f
transitions:
  # kept
  - {name: a, from: [x], to: y, roles: [clerk, lead]}
  - name: b
    from: [y]
    to: x
    approval: {role: clerk, when: x is not empty}
  - {name: c, from: [x], to: y, roles: [lead]}
"""
RULES = 'rule a:\n  when created\n  then assign owner round_robin("clerk") in team "x"\n'
SPEC = "users:\n  teams:\n    - {name: t, size: 2, roles: [clerk], lead_roles: [lead]}\n"
APP = "name: shop\nchat:\n  notify: [clerk]  # told\n  entity: talk\n"


def test_workflows_chat_notify_demo_teams_and_assignment_rules_follow_a_renamed_role() -> None:
    files = {
        "workflows/f.yaml": FLOW,
        "app.yaml": APP,
        "roles.yaml": "roles: {clerk: {}}\n",
        "rules/assign.rules": RULES,
        "data/demo/spec.yaml": SPEC,
    }
    changed = role_references(files, "clerk", "seller")
    assert set(changed) == {
        "workflows/f.yaml",
        "app.yaml",
        "rules/assign.rules",
        "data/demo/spec.yaml",
    }
    assert changed["rules/assign.rules"] == RULES.replace("clerk", "seller")
    assert changed["data/demo/spec.yaml"] == SPEC.replace("clerk", "seller")
    assert changed["workflows/f.yaml"] == FLOW.replace("clerk", "seller")
    assert changed["app.yaml"] == APP.replace("clerk", "seller")
    assert role_references(files, "nobody", "x") == {}
