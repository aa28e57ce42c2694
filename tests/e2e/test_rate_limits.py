"""Rate limits per API token and per client address (429 with ``Retry-After``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from redis import Redis

from trellis.platform.api.app import create_app
from trellis.platform.api.rate_limit import MemoryCounter, RedisCounter, rate_limit_middleware
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(
        RuntimeConfig(data_dir=tmp_path / "data", rate_limit_token=3, rate_limit_ip=2)
    )
    yield runtime
    runtime.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_over_its_limit_gets_429_with_retry_after(limited: Runtime) -> None:
    with TestClient(app=create_app(limited)) as client:
        answers = [client.get("/t/acme/api/deal", headers=_bearer("tok-a")) for _ in range(3)]
        assert {a.status_code for a in answers} == {401}  # counted even when refused
        refused = client.get("/t/acme/api/deal", headers=_bearer("tok-a"))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        (message,) = refused.json()["errors"]["__all__"]
        assert message.startswith("Too many requests: at most 3 a minute for this API token.")
        # Another token, and the address itself, have their own counts.
        assert client.get("/t/acme/api/deal", headers=_bearer("tok-b")).status_code == 401
        assert client.get("/health").status_code == 200


def test_screens_count_against_the_client_address(limited: Runtime) -> None:
    with TestClient(app=create_web_app(limited)) as client:
        assert [client.get("/t/acme/login").status_code for _ in range(2)] == [404, 404]
        refused = client.get("/t/acme/login")
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("text/plain")
        assert "for your address" in refused.text and "retry-after" in refused.headers
        for _ in range(5):  # static files and the health check are never counted
            assert client.get("/health").status_code == 200
            assert client.get("/static/app.css").status_code == 200


def test_the_count_starts_again_in_the_next_minute() -> None:
    clock = FakeClock(datetime.fromtimestamp(120, UTC))

    @get("/t/x/api/y", sync_to_thread=False)
    def handler() -> str:
        return "ok"

    middleware = rate_limit_middleware({"token": 2, "ip": 0}, MemoryCounter(), clock)
    app = Litestar(route_handlers=[handler], middleware=[middleware])
    with TestClient(app=app) as client:
        codes = [client.get("/t/x/api/y", headers=_bearer("t")).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        clock.advance(30)  # 150 s after the epoch
        assert client.get("/t/x/api/y", headers=_bearer("t")).headers["retry-after"] == "30"
        clock.advance(30)  # 180 s: the next minute
        assert client.get("/t/x/api/y", headers=_bearer("t")).status_code == 200
        # No address limit configured (0): requests without a token are never refused.
        assert {client.get("/t/x/api/y").status_code for _ in range(5)} == {200}


def test_the_app_counts_in_minutes_of_the_runtime_clock(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC))
    config = RuntimeConfig(data_dir=tmp_path / "data", rate_limit_token=0, rate_limit_ip=2)
    runtime = Runtime(config, clock=clock)
    try:
        with TestClient(app=create_app(runtime)) as client:
            codes = [client.get("/t/acme/api/account").status_code for _ in range(3)]
            assert 429 not in codes[:2] and codes[2] == 429
            refused = client.get("/t/acme/api/account")
            assert refused.headers["retry-after"] == "30"  # 12:00:30: 30 s left in the minute
            clock.advance(30)  # 12:01:00, a new window
            assert client.get("/t/acme/api/account").status_code != 429
    finally:
        runtime.close()


def test_processes_share_the_count_through_redis(tmp_path: Path) -> None:
    prefix = f"rl{uuid.uuid4().hex[:8]}_"
    config = RuntimeConfig(
        data_dir=tmp_path / "data",
        redis_url=REDIS_URL,
        schema_prefix="",
        rate_limit_token=4,
        rate_limit_ip=0,
    )
    token = f"tok-{prefix}"  # a key no other test run uses
    clock = FakeClock()  # both processes count in one window, whatever the real minute
    first, second = Runtime(config, clock=clock), Runtime(config, clock=clock)
    try:
        with (
            TestClient(app=create_app(first)) as one,
            TestClient(app=create_app(second)) as two,
        ):
            codes = [
                (one if i % 2 else two).get("/t/a/api/b", headers=_bearer(token)).status_code
                for i in range(5)
            ]
    finally:
        first.close()
        second.close()
    assert codes == [401, 401, 401, 401, 429]


def test_with_redis_down_requests_are_let_through(tmp_path: Path) -> None:
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    counter = RedisCounter(down, "x:")
    middleware = rate_limit_middleware({"token": 1, "ip": 1}, counter)

    @get("/t/x/api/y", sync_to_thread=False)
    def handler() -> str:
        return "ok"

    app = Litestar(route_handlers=[handler], middleware=[middleware])
    with TestClient(app=app) as client:
        assert [client.get("/t/x/api/y").status_code for _ in range(3)] == [200, 200, 200]
    down.close()


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from trellis.platform.config import config_from_env

    monkeypatch.setenv("TRELLIS_RATE_LIMIT_TOKEN", "120")
    monkeypatch.setenv("TRELLIS_RATE_LIMIT_IP", "0")
    config = config_from_env("data")
    assert (config.rate_limit_token, config.rate_limit_ip) == (120, 0)
    monkeypatch.setenv("TRELLIS_RATE_LIMIT_IP", "many")
    with pytest.raises(ValueError, match="TRELLIS_RATE_LIMIT_IP has value 'many'"):
        config_from_env("data")
