"""Workflows: state machines on an entity's enum field, run through the save pipeline.

``workflow_hook`` is the save hook (registered in ``trellis.platform.automation``);
``WorkflowRunner`` runs, approves, rejects and lists transitions for the API.
"""

from trellis.platform.workflows.checks import Mode
from trellis.platform.workflows.hook import WorkflowHook, workflow_hook
from trellis.platform.workflows.runner import TransitionResult, WorkflowRunner

__all__ = ["Mode", "TransitionResult", "WorkflowHook", "WorkflowRunner", "workflow_hook"]
