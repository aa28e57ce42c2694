"""SSRF: webhook targets pass the address policy, and delivery goes to the checked address.

Refusals are tested with literal addresses and stub resolvers, so nothing is ever
contacted; deliveries only ever reach a loopback server the test starts.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.jobs.egress import (
    EgressPolicy,
    IPAddress,
    TargetRefusedError,
    parse_ip,
    policy_of,
)
from trellis.platform.jobs.webhooks import (
    WebhookError,
    WebhookRefusedError,
    check_target,
    deliver_webhook,
)
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import make_jobs_tenant, rows, use_setting, webhook_server

PUBLIC = ipaddress.ip_address("93.184.216.34")
NOBODY = EgressPolicy()


def _no_dns(host: str, port: int) -> list[IPAddress]:
    raise AssertionError(f"a literal address must not be looked up ({host})")


class StubResolver:
    """Answers from a table, in turn per call; counts the lookups."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(host)
        turns = self.answers[host]
        return [ipaddress.ip_address(a) for a in turns[min(len(self.calls), len(turns)) - 1]]


#: When signed deliveries claim to have been sent (the signature covers it).
SENT_AT = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def _policy(**environ: str) -> EgressPolicy:
    """The egress policy a deployment started with ``environ`` uses."""
    return policy_of(RuntimeConfig.from_env(environ=environ))


@pytest.mark.parametrize(
    ("url", "address", "why"),
    [
        ("http://127.0.0.1/x", "127.0.0.1", "loopback"),
        ("http://[::1]:8080/x", "::1", "loopback"),
        ("http://10.1.2.3/x", "10.1.2.3", "private (RFC 1918)"),
        ("https://172.16.0.1/x", "172.16.0.1", "private (RFC 1918)"),
        ("http://192.168.1.1/x", "192.168.1.1", "private (RFC 1918)"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "the cloud metadata"),
        ("http://169.254.10.1/", "169.254.10.1", "link-local"),
        ("http://[fe80::1%25eth0]/", "fe80::1", "link-local"),
        ("http://100.64.0.1/", "100.64.0.1", "carrier-grade NAT"),
        ("http://[fd12:3456::1]/", "fd12:3456::1", "unique-local"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "IPv6 form of 127.0.0.1, loopback"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe", "IPv6 form of 169.254.169.254"),
        ("http://0.0.0.0:8000/", "0.0.0.0", "'this network'"),
        ("http://224.0.0.1/", "224.0.0.1", "multicast"),
        ("http://240.0.0.1/", "240.0.0.1", "reserved"),
        ("http://2130706433/", "127.0.0.1", "loopback"),
        ("http://0x7f.1/", "127.0.0.1", "loopback"),
        ("http://0177.0.0.1/", "127.0.0.1", "loopback"),
        ("http://127.1/", "127.0.0.1", "loopback"),
        ("http://0xa9fea9fe/", "169.254.169.254", "the cloud metadata"),
    ],
)
def test_non_public_literal_addresses_are_refused_with_the_reason(
    url: str, address: str, why: str
) -> None:
    with pytest.raises(WebhookRefusedError) as refused:
        check_target(url, resolver=_no_dns)
    message = str(refused.value)
    assert f"points to {address} ({why}" in message
    assert "TRELLIS_WEBHOOK_ALLOW=" in message
    assert "TRELLIS_WEBHOOK_ALLOW_PRIVATE=1" in message


def test_numeric_host_forms_are_read_as_the_address_they_mean() -> None:
    for form in ("2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "017700000001"):
        assert parse_ip(form) == ipaddress.ip_address("127.0.0.1"), form
    assert parse_ip("[::ffff:7f00:1]") == ipaddress.ip_address("::ffff:127.0.0.1")
    for name in ("hooks.example.com", "256.1", "08.1", "1.2.3.4.5", "4294967296"):
        assert parse_ip(name) is None, name


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    resolver = StubResolver({"hooks.example.test": [["10.0.0.5"]]})
    with pytest.raises(WebhookRefusedError, match=r"points to 10\.0\.0\.5 \(private"):
        check_target("https://hooks.example.test/in", resolver=resolver)
    assert resolver.calls == ["hooks.example.test"]


def test_one_private_answer_among_public_ones_refuses_the_name() -> None:
    resolver = StubResolver({"mixed.example.test": [[str(PUBLIC), "127.0.0.1"]]})
    with pytest.raises(WebhookRefusedError, match=r"points to 127\.0\.0\.1 \(loopback"):
        check_target("https://mixed.example.test/", resolver=resolver)


def test_a_public_answer_is_the_address_to_connect_to() -> None:
    resolver = StubResolver({"hooks.example.test": [[str(PUBLIC)]]})
    target = check_target("https://hooks.example.test:8443/in?a=1", resolver=resolver)
    assert (target.host, target.port, target.address, target.path) == (
        "hooks.example.test",
        8443,
        PUBLIC,
        "/in?a=1",
    )


def test_the_allow_list_names_hosts_and_networks() -> None:
    policy = _policy(TRELLIS_WEBHOOK_ALLOW=" hooks.internal., 10.1.0.0/16 ,[::1]")
    resolver = StubResolver({"hooks.internal": [["192.168.5.5"]], "other.internal": [["10.2.0.1"]]})
    assert check_target("http://HOOKS.internal/x", resolver=resolver, policy=policy).address == (
        ipaddress.ip_address("192.168.5.5")
    )
    assert (
        str(check_target("http://10.1.200.3/x", resolver=_no_dns, policy=policy).address)
        == "10.1.200.3"
    )
    assert str(
        check_target("http://[::ffff:10.1.0.9]/x", resolver=_no_dns, policy=policy).address
    ) == ("::ffff:a01:9")
    assert str(check_target("http://[::1]/x", resolver=_no_dns, policy=policy).address) == "::1"
    for url in ("http://other.internal/x", "http://10.2.0.1/", "http://169.254.169.254/"):
        with pytest.raises(WebhookRefusedError):
            check_target(url, resolver=resolver, policy=policy)


def test_a_bad_allow_list_entry_refuses_with_its_name() -> None:
    with pytest.raises(TargetRefusedError, match="has the entry 'not a host!'"):
        _policy(TRELLIS_WEBHOOK_ALLOW="10.0.0.0/8, not a host!")


def test_allow_private_lets_every_address_through() -> None:
    policy = _policy(TRELLIS_WEBHOOK_ALLOW_PRIVATE="1")
    assert str(
        check_target("http://169.254.169.254/", resolver=_no_dns, policy=policy).address
    ) == ("169.254.169.254")


@pytest.mark.parametrize(
    "url", ["ftp://a.example/x", "file:///etc/passwd", "http:///x", "http://a:99999/"]
)
def test_urls_that_are_not_http_are_refused(url: str) -> None:
    with pytest.raises(WebhookRefusedError):
        check_target(url, resolver=_no_dns)


def test_delivery_connects_to_the_checked_address_with_the_original_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The name's later answers point elsewhere (DNS rebinding): only the first is used.
    policy = _policy(TRELLIS_WEBHOOK_ALLOW="127.0.0.1/32")
    resolver = StubResolver({"hooks.example.test": [["127.0.0.1"], ["127.0.0.2"]]})
    with webhook_server() as hooks:
        port = hooks.url.split(":")[-1].split("/")[0]
        url = f"http://hooks.example.test:{port}/hook?x=1"
        assert (
            deliver_webhook(
                url, {"a": 1}, "s3cret", "d-1", resolver=resolver, policy=policy, sent_at=SENT_AT
            )
            == 200
        )
    assert resolver.calls == ["hooks.example.test"]
    [(headers, body)] = hooks.received
    assert headers["Host"] == f"hooks.example.test:{port}"
    assert headers["X-Trellis-Delivery"] == "d-1"
    assert body == b'{"a":1}'


def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    policy = _policy(TRELLIS_WEBHOOK_ALLOW="127.0.0.1")
    with webhook_server() as hooks:
        hooks.status = 302
        with pytest.raises(WebhookError, match="answered 302: redirects are not followed"):
            deliver_webhook(
                hooks.url, {}, "s", "d-2", resolver=_no_dns, policy=policy, sent_at=SENT_AT
            )
    assert len(hooks.received) == 1


@contextmanager
def _tls_server(cert_pem: bytes, key_pem: bytes, tmp_path: Path) -> Iterator[tuple[int, list[Any]]]:
    """A loopback TLS listener that records the SNI names clients send."""
    (tmp_path / "c.pem").write_bytes(cert_pem)
    (tmp_path / "k.pem").write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    names: list[Any] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], names
    finally:
        thread.join(timeout=5)
        server.server_close()


def _self_signed(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_https_sends_the_url_host_as_sni_and_checks_the_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = _policy(TRELLIS_WEBHOOK_ALLOW="hooks.example.test")
    resolver = StubResolver({"hooks.example.test": [["127.0.0.1"]]})
    with _tls_server(*_self_signed("hooks.example.test"), tmp_path) as (port, names):
        url = f"https://hooks.example.test:{port}/hook"
        with pytest.raises(WebhookError, match="CERTIFICATE_VERIFY_FAILED"):
            deliver_webhook(url, {}, "s", "d-3", resolver=resolver, policy=policy, sent_at=SENT_AT)
    assert names == ["hooks.example.test"]


def test_a_refused_webhook_job_is_dead_at_once_with_the_reason(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    url = "http://169.254.169.254/latest/meta-data/"
    api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=url))
    assert api.post("deal", json={"name": "Acme", "amount": 5000}).status_code == 201
    report = Dispatcher(runtime).run_due().tenants["jobs"]
    assert (report.dead, report.failed) == (2, 0)  # the email has no SMTP server either
    hook = next(r for r in rows(runtime, "jobs", "_outbox") if r["kind"] == "webhook")
    assert (hook["state"], hook["attempts"]) == ("dead", 1)
    assert hook["last_error"].startswith(
        f"Webhook URL '{url}' points to 169.254.169.254 (the cloud metadata service), "
        "which is refused"
    )
    logged = api.get("_webhooks").json()["items"]
    assert [(h["status"], h["error"]) for h in logged] == [("failed", hook["last_error"])]


def test_an_allowed_loopback_webhook_job_is_delivered(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_setting(runtime, monkeypatch, "TRELLIS_WEBHOOK_ALLOW", "127.0.0.1")
    with webhook_server() as hooks:
        api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=hooks.url))
        assert api.post("deal", json={"name": "Acme", "amount": 5000}).status_code == 201
        Dispatcher(runtime).run_due()
    assert len(hooks.received) == 1
    hook = next(r for r in rows(runtime, "jobs", "_outbox") if r["kind"] == "webhook")
    assert hook["state"] == "done"
