"""Fill a tenant with demo data from its package's spec (``trellis tenant create --demo``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.metadata.loader import DEMO_SPEC_PATH, DEMO_WORDS_PATH, load_demo_spec
from trellis.platform.demo_data.generate import Plan, make_plan
from trellis.platform.demo_data.load import DemoLoader, DemoResult, load_users
from trellis.platform.money.rates import parse_rate
from trellis.platform.money.service import store_rates
from trellis.platform.services.bundle import Services

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def demo_files(folder: Path) -> dict[str, str]:
    """The demo spec files of a package folder (``path -> text``; absent ones left out)."""
    out = {}
    for path in (DEMO_SPEC_PATH, DEMO_WORDS_PATH):
        file = folder / path
        if file.is_file():
            out[path] = file.read_text(encoding="utf-8")
    return out


def plan_demo(
    runtime: Runtime,
    tenant: str,
    files: Mapping[str, str],
    *,
    scale: float = 1.0,
    seed: int | None = None,
    anchor: date | None = None,
    root: str = "",
) -> Plan:
    """The plan of the tenant's demo: its app checks the spec.

    Raises:
        MetadataError: the spec has errors (each with its place, code and suggestion).
        ValueError: ``scale`` is not above 0.
    """
    spec = load_demo_spec(files, runtime.app(tenant).model, root)
    when = anchor or spec.anchor or runtime.clock.now().date()
    return make_plan(spec, anchor=when, scale=scale, seed=seed)


def create_demo(
    runtime: Runtime,
    tenant: str,
    files: Mapping[str, str],
    *,
    admin: str,
    scale: float = 1.0,
    seed: int | None = None,
    anchor: date | None = None,
    root: str = "",
) -> DemoResult:
    """Generate and save the demo of ``tenant``, saved by its admin ``admin``.

    Raises:
        MetadataError: the spec has errors.
        DemoDataError: the app refused a generated record.
    """
    plan = plan_demo(runtime, tenant, files, scale=scale, seed=seed, anchor=anchor, root=root)
    result = DemoResult(users=len(plan.users))
    _store_rates(runtime, tenant, plan)
    user_ids = load_users(runtime, tenant, plan)
    identity = runtime.registry.member_identity(tenant, runtime.registry.ensure_user(admin))
    if identity is None:
        raise ValueError(f"'{admin}' is not an active member of '{tenant}'.")
    call = Services(runtime).call_as(tenant, identity)
    DemoLoader(runtime, call, user_ids).load(plan, result)
    return result


def _store_rates(runtime: Runtime, tenant: str, plan: Plan) -> None:
    """The spec's exchange rates, valid from ten years before the anchor."""
    day = (plan.anchor - timedelta(days=3650)).isoformat()
    rates = [parse_rate(source, target, str(rate), day) for source, target, rate in plan.rates]
    if rates:
        store_rates(runtime, tenant, rates, None)


__all__ = ["create_demo", "demo_files", "plan_demo"]
