"""Demo data: a package's declarative spec turned into users and records (docs/demo-data.md).

``generate`` makes a plan (pure, seeded); ``load`` saves it through the save pipeline;
``service`` ties both to a tenant.
"""

from __future__ import annotations

from trellis.platform.demo_data.generate import Plan, make_plan
from trellis.platform.demo_data.load import DemoDataError, DemoResult
from trellis.platform.demo_data.service import create_demo, demo_files, plan_demo

__all__ = [
    "DemoDataError",
    "DemoResult",
    "Plan",
    "create_demo",
    "demo_files",
    "make_plan",
    "plan_demo",
]
