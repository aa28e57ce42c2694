"""SMTP over TLS checks the server's certificate: ``smtps://`` and STARTTLS alike.

A loopback server with a self-signed certificate stands in for a mail server on the
path; the sender must refuse it before saying anything. Trusting that certificate (as
the system's authorities would trust a real one) lets the handshake through.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trellis.platform.jobs.mail import EmailError, SmtpSettings, send_message

HOST = "localhost"
#: What the server said once the handshake succeeded: "closing, try later".
GOODBYE = b"421 closing, try later\r\n"


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` signed by its own key; (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _implicit_tls(conn: socket.socket, context: ssl.SSLContext, said: list[bytes]) -> None:
    """``smtps://``: TLS from the first byte, then a goodbye."""
    with context.wrap_socket(conn, server_side=True) as tls:
        tls.sendall(GOODBYE)


def _starttls(conn: socket.socket, context: ssl.SSLContext, said: list[bytes]) -> None:
    """Plain greeting, EHLO offering STARTTLS, then TLS and a goodbye."""
    reader = conn.makefile("rb")
    conn.sendall(b"220 test ESMTP\r\n")
    said.append(reader.readline())  # EHLO
    conn.sendall(b"250-test\r\n250 STARTTLS\r\n")
    said.append(reader.readline())  # STARTTLS
    conn.sendall(b"220 go ahead\r\n")
    with context.wrap_socket(conn, server_side=True) as tls:
        tls.sendall(GOODBYE)
        said.append(tls.recv(1024))  # anything sent after the handshake


@contextmanager
def _server(
    tmp_path: Path, talk: Callable[[socket.socket, ssl.SSLContext, list[bytes]], None]
) -> Iterator[tuple[int, list[bytes]]]:
    """A one-connection loopback server running ``talk``; yields (port, lines it read)."""
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    said: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(5)
        try:
            talk(conn, context, said)
        except (OSError, ssl.SSLError):
            pass  # the client gave up on the handshake
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], said
    finally:
        thread.join(timeout=5)
        listener.close()


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.test", "b@x.test", "TLS"
    message.set_content("secret body\n")
    return message


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_an_untrusted_certificate_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    talk = _implicit_tls if mode == "smtps" else _starttls
    with _server(tmp_path, talk) as (port, said):
        settings = SmtpSettings(
            HOST, port, ssl=mode == "smtps", starttls=mode == "starttls", user="u", password="pw"
        )
        with pytest.raises(EmailError, match="CERTIFICATE_VERIFY_FAILED"):
            send_message(settings, _message())
    if mode == "starttls":
        assert said[1].strip().upper() == b"STARTTLS"
    assert not any(b"AUTH" in line.upper() or b"secret" in line for line in said)


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_a_trusted_certificate_lets_the_handshake_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    talk = _implicit_tls if mode == "smtps" else _starttls
    with _server(tmp_path, talk) as (port, _said):
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "smtp-cert.pem"))
        settings = SmtpSettings(HOST, port, ssl=mode == "smtps", starttls=mode == "starttls")
        with pytest.raises(EmailError) as refused:
            send_message(settings, _message())
    assert "CERTIFICATE_VERIFY_FAILED" not in str(refused.value)
    assert "421" in str(refused.value) or "closed" in str(refused.value).lower()
