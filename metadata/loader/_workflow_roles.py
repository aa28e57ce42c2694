"""Transition roles and approval roles must be roles the package declares (MD074)."""

from __future__ import annotations

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._flows import Flows
from trellis.metadata.loader._report import Report
from trellis.metadata.model import AppModel

#: Built in: every tenant has it, roles.yaml does not declare it.
ADMIN = "admin"


def check_transition_roles(model: AppModel, flows: Flows, report: Report) -> None:
    """Report each transition's ``roles`` item and ``approval.role`` roles.yaml lacks.

    Run only when the package has a roles.yaml (without one, no role is declared).
    """
    known = [ADMIN, *model.roles]
    for name in flows.workflows:
        doc = flows.workflow_docs[name]
        items = doc.data.get("transitions") if isinstance(doc.data, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            owner = f"transition '{item.get('name')}'"
            roles = item.get("roles")
            for j, role in enumerate(roles if isinstance(roles, list) else []):
                if isinstance(role, str) and role not in known:
                    report.error(
                        "MD074",
                        f"{owner}: unknown role '{role}' in 'roles'",
                        doc.positions.value(("transitions", index, "roles", j)),
                        did_you_mean(role, known),
                    )
            approval = item.get("approval")
            role = approval.get("role") if isinstance(approval, dict) else None
            if isinstance(role, str) and role not in known:
                report.error(
                    "MD074",
                    f"{owner}: unknown approval role '{role}'",
                    doc.positions.value(("transitions", index, "approval", "role")),
                    did_you_mean(role, known),
                )


__all__ = ["check_transition_roles"]
