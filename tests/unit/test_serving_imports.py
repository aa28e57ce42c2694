"""A serving process leaves the optional heavy libraries unloaded until they are used.

Alembic (with mako and pygments), openpyxl (with Pillow), redis and segno cost a
serving process about 23 MiB of resident memory together (bench/RESULTS.md "Idle
memory"); each is needed only by a publish, an xlsx file, a configured Redis or a
two-factor enrolment. jsonschema (the explanation of a refused record or an invalid
metadata file; valid ones meet the compiled validator), cryptography (encrypted fields
and stored SMTP passwords), pyotp (two-factor sign-in), smtplib (a sent e-mail) and
nh3 (rich text written) follow the same rule, and the SQLAlchemy ORM is never loaded
(policy rows are read on Core). The probe builds the web app over a data directory holding a
tenant, answers a sign-in page, a record list and a CSV export, and lists what loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from helpers import PackageWriter, make_tenant

#: pygments (alembic's, through mako) is left out: the test client's httpx loads it too.
OPTIONAL = (
    "alembic",
    "mako",
    "openpyxl",
    "PIL",
    "redis",
    "segno",
    "jsonschema",
    "cryptography",
    "pyotp",
    "smtplib",
    "nh3",
    "sqlalchemy.orm",
)

PROBE = """
import json, sys
from pathlib import Path
from litestar.testing import TestClient
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

data_dir, token = Path(sys.argv[1]), sys.argv[2]
runtime = Runtime(RuntimeConfig(data_dir=data_dir, version_check_interval=0.0))
auth = {{"Authorization": "Bearer " + token}}
with TestClient(create_web_app(runtime)) as client:
    answers = [
        client.get("/t/acme/login").status_code,
        client.get("/t/acme/api/account", headers=auth).status_code,
        client.get("/t/acme/api/account/_export?format=csv", headers=auth).status_code,
    ]
runtime.close()
loaded = sorted(name for name in {optional} if name in sys.modules)
print(json.dumps({{"answers": answers, "loaded": loaded}}))
"""


def probe(data_dir: Path, token: str, export_format: str = "csv") -> dict[str, list[object]]:
    """What the probe answered and which optional libraries it loaded."""
    code = PROBE.replace("format=csv", f"format={export_format}").format(optional=set(OPTIONAL))
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), token], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def tenant_with_token(tmp_path: Path, write_package: PackageWriter) -> tuple[Path, str]:
    """A SQLite data directory holding tenant ``acme``, and its admin's API token."""
    data_dir = tmp_path / "data"
    runtime = Runtime(RuntimeConfig(data_dir=data_dir, version_check_interval=0.0))
    try:
        return data_dir, make_tenant(runtime, write_package, "acme")
    finally:
        runtime.close()


def test_serving_a_tenant_loads_no_optional_heavy_library(
    tmp_path: Path, write_package: PackageWriter
) -> None:
    result = probe(*tenant_with_token(tmp_path, write_package))

    assert result["answers"] == [200, 200, 200]
    assert result["loaded"] == []


def test_the_probe_sees_a_library_once_it_is_used(
    tmp_path: Path, write_package: PackageWriter
) -> None:
    """The probe can fail: an xlsx export loads openpyxl, and the probe reports it."""
    result = probe(*tenant_with_token(tmp_path, write_package), export_format="xlsx")

    assert result["answers"] == [200, 200, 200]
    assert "openpyxl" in result["loaded"]
