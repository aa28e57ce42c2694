"""The access log: one line per request with the route template, status, time and tenant."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from litestar import Litestar, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.access_log import ACCESS_LOGGER, AccessLog


@get("/t/{tenant:str}/api/{entity:str}/{record_id:int}", sync_to_thread=False)
def read(tenant: FromPath[str], entity: FromPath[str], record_id: FromPath[int]) -> dict[str, int]:
    if record_id == 0:
        raise RuntimeError("boom")
    return {"id": record_id}


def _get(paths: list[str]) -> list[int]:
    app = AccessLog(Litestar([read], logging_config=None))

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [(await client.get(p)).status_code for p in paths]

    return asyncio.run(run())


def test_one_line_per_request_with_template_status_and_tenant(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    statuses = _get(["/t/acme/api/deal/7", "/t/acme/api/deal/0", "/nowhere/secret-path"])
    assert statuses == [200, 500, 404]
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 3
    template = "/t/{tenant}/api/{entity}/{record_id}"
    assert lines[0].startswith(f"GET {template} 200 ") and lines[0].endswith(" tenant=acme")
    assert lines[1].startswith(f"GET {template} 500 ")
    assert lines[2].startswith("GET - 404 ") and "secret-path" not in lines[2]
    assert all("ms tenant=" in line for line in lines)


def test_nothing_is_logged_when_the_access_log_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=ACCESS_LOGGER)
    assert _get(["/t/acme/api/deal/7"]) == [200]
    assert [r for r in caplog.records if r.name == ACCESS_LOGGER] == []
