"""Schemathesis over a package with rich text fields: the document matches the server.

Every operation with valid and invalid data (linked sequences are the every-type
package's job in test_schemathesis.py; this one stays fast).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter
from schemathesis_support import fuzzer

NOTE = """
    label: Note
    title: title
    search: [body]
    fields:
      title: {type: string, required: true, max_length: 80}
      body: {type: rich_text}
      summary: {type: rich_text, required: true}
      teaser: {type: rich_text, formula: 'concat("<b>", title, "</b>")'}
    validations:
      - {when: 'body contains "forbidden"', field: body, message: "No forbidden words."}
"""


@pytest.fixture(params=["sqlite"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> RuntimeConfig:
    """SQLite; rate limits off (429 is documented, but it would stop the fuzzing)."""
    return RuntimeConfig(
        data_dir=tmp_path / "data", version_check_interval=0.0, rate_limit_token=0, rate_limit_ip=0
    )


def test_rich_text_operations_and_sequences(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant("rich")
    publish(runtime, "rich", write_package({"note": NOTE}, name="rich"))
    user = runtime.registry.ensure_user("admin@rich.test", "long enough secret")
    runtime.registry.add_membership("rich", user, ["admin"])
    with fuzzer(runtime, "rich", runtime.registry.create_token("rich", "admin@rich.test")) as found:
        failures = found.operations()
        assert failures == [], "\n\n".join(failures)
        assert 201 in found.statuses("POST /t/rich/api/note")
