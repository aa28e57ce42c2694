"""A CRM tenant shared by a test module: an admin, a sales rep and a sales manager.

Creating the CRM tenant takes seconds, so the sales tests build one per module and
backend (``crm_world``) and give each test its own account.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api

PASSWORD = "long enough secret"
TENANT = "crm-sales"
LINES = [
    {"description": "Licence", "quantity": "3", "unit_price": "200"},
    {"description": "Training", "quantity": "1", "unit_price": "500", "discount_percent": "10"},
]


@dataclass
class CrmWorld:
    """The shared tenant and one API client per member."""

    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    admin: Api
    rep: Api
    manager: Api

    def account(self, name: str) -> dict[str, Any]:
        """A new account called ``name`` (account names are unique: a number is added)."""
        taken = self.admin.get("account").json()["count"]
        return created(self.admin.post("account", json={"name": f"{name} {taken + 1}"}))


def created(response: Any) -> dict[str, Any]:
    """The body of a 201 answer."""
    assert response.status_code == 201, response.text
    return dict(response.json())


def crm_world(backend: str, tmp: Path, **runtime_kw: Any) -> Iterator[CrmWorld]:
    """Yield a CRM tenant on ``backend`` ("sqlite" or "postgres"), dropped afterwards."""
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    config = RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0)
    if backend == "postgres":
        config = RuntimeConfig(
            data_dir=tmp / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config, **runtime_kw)
    try:
        create_tenant(runtime, TENANT, "crm", "boss@crm.test", PASSWORD)
        reg = runtime.registry
        with TestClient(app=create_web_app(runtime)) as client:
            apis = {}
            for role in ("sales_rep", "sales_manager"):
                email = f"{role}@crm.test"
                reg.add_membership(TENANT, reg.ensure_user(email, PASSWORD), [role])
                apis[role] = Api(client, TENANT, reg.create_token(TENANT, email))
            admin = Api(client, TENANT, reg.create_token(TENANT, "boss@crm.test"))
            yield CrmWorld(runtime, client, admin, apis["sales_rep"], apis["sales_manager"])
    finally:
        runtime.close()
        if backend == "postgres":
            drop_schemas(PG_URL, prefix)
