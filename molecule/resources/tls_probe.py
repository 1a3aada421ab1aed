"""TLS client contexts that can offer old protocols and weak ciphers, and a local
server that proves they really do, so a "refused" result means the server refused.

OpenSSL 3 clients will not offer TLS 1.1 or SHA-1 suites at the default security
level; the contexts here lower it so the probe asks exactly what a scanner asks.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import tempfile
import threading
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@contextlib.contextmanager
def _old_protocols_allowed():
    """Python warns that TLS 1.0/1.1 are deprecated: offering them is the point here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def client_context(
    version: ssl.TLSVersion, ciphers: str | None = None, alpn: list[str] | None = None
) -> ssl.SSLContext:
    """A client that offers exactly one protocol version (and ciphers, if given)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with _old_protocols_allowed():
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers(f"{ciphers or 'ALL'}:@SECLEVEL=0")
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def handshake_with_permissive_server(client: ssl.SSLContext) -> tuple[str, str]:
    """Handshake with a local server that accepts anything; returns (protocol, cipher).

    The positive control for the probes: if this fails, the probe itself cannot
    offer what it claims to, and a refusal by the real server would prove nothing.
    """
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = _self_signed(Path(tmp))
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert, key)
        with _old_protocols_allowed():
            server.minimum_version = ssl.TLSVersion.TLSv1
        server.set_ciphers("ALL:@SECLEVEL=0")
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            raw = socket.create_connection(("127.0.0.1", port), 5)
            with client.wrap_socket(raw, server_hostname="probe.test") as tls:
                return tls.version(), tls.cipher()[0]
        finally:
            listener.close()
            thread.join(5)
