"""``wayhome serve`` for a LAN: HTTPS with ``--tls-cert``/``--tls-key``, and logs free of secrets.

Real servers in subprocesses, on SQLite and PostgreSQL; the certificate is self-signed,
made here with ``cryptography``, and clients verify the server against it.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.sync.client import connect

from apitools import PASSWORD
from clitools import flat, invoke

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wayhome test server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "server.crt", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _trusting(cert: Path) -> ssl.SSLContext:
    """A client context that trusts ``cert`` only."""
    return ssl.create_default_context(cafile=str(cert))


class Servers:
    """``wayhome serve`` subprocesses on one database, each with its log file."""

    def __init__(self, database_url: str, logs: Path) -> None:
        self.database_url, self.logs = database_url, logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *options: str) -> tuple[int, Path]:
        """Start a server with ``options``; its port and log once it listens."""
        port = _free_port()
        command = [
            sys.executable,
            "-c",
            "import sys; from wayhome.cli import main; sys.exit(main())",
            "serve",
            *("--port", str(port), "--database-url", self.database_url, *options),
        ]
        log = self.logs / f"server-{len(self.started)}.log"
        env = {**os.environ, "WAYHOME_ROLL_CALL_WATCH_SECONDS": "0"}
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.started.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return port, log
            time.sleep(0.05)
        pytest.fail(f"server did not listen in 60 s: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop every server as an operator does (Ctrl-C); kill one that hangs."""
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            proc.wait()


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[Servers]:
    """Servers on ``database_url``, stopped afterwards whatever the test did."""
    started = Servers(database_url, tmp_path)
    yield started
    started.stop()


# --- Options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "named"), [("--tls-cert", "--tls-key"), ("--tls-key", "--tls-cert")]
)
def test_tls_needs_both_files(
    given: str,
    named: str,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = certificate[0] if given == "--tls-cert" else certificate[1]
    code, _, err = invoke("serve", [given, str(path)], monkeypatch, capsys)
    assert code == 2
    assert f"{named}: {given} was given without it; give both for HTTPS, or neither" in flat(err)


def test_an_unreadable_tls_file_is_named(
    tmp_path: Path,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cert, key = certificate
    missing = tmp_path / "nowhere.key"
    code, _, err = invoke(
        "serve", ["--tls-cert", str(cert), "--tls-key", str(missing)], monkeypatch, capsys
    )
    assert code == 2
    assert f"--tls-key: cannot read {missing}" in flat(err)
    code, _, err = invoke(
        "serve", ["--tls-cert", str(tmp_path), "--tls-key", str(key)], monkeypatch, capsys
    )
    assert code == 2
    assert f"--tls-cert: cannot read {tmp_path}" in flat(err)
    # Readable, but the key is not the certificate's.
    other = tmp_path / "other.key"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    code, _, err = invoke(
        "serve", ["--tls-cert", str(cert), "--tls-key", str(other)], monkeypatch, capsys
    )
    assert code == 2
    assert "are not a PEM certificate and its unencrypted private key" in flat(err)


def test_a_bad_cors_origin_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke("serve", ["--cors-origin", "*"], monkeypatch, capsys)
    assert code == 2
    assert "--cors-origin: " in flat(err) and "'*' is not an origin" in flat(err)


# --- Real servers ---------------------------------------------------------------------------


def test_the_server_speaks_https_with_the_given_certificate(
    servers: Servers, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    port, log = servers.start("--tls-cert", str(cert), "--tls-key", str(key))
    url = f"https://127.0.0.1:{port}/health"
    with httpx.Client(verify=_trusting(cert)) as client:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert f"serving https://127.0.0.1:{port}/" in log.read_text()
    # A client that does not trust the certificate refuses it; plain HTTP gets nowhere.
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)


def _seed(database_url: str) -> None:
    """The database with an administrator whose password the test knows (none printed)."""
    from wayhome.store import create_user, engine_from_url, session_factory, upgrade_database

    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as s:
            create_user(s, login="admin", name="Admin", password=PASSWORD, is_admin=True)
    finally:
        engine.dispose()


def test_no_password_token_or_handover_code_reaches_the_log(
    servers: Servers, database_url: str, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    _seed(database_url)
    port, log = servers.start("--tls-cert", str(cert), "--tls-key", str(key), "--access-log")
    base, context = f"https://127.0.0.1:{port}", _trusting(cert)
    secrets = [PASSWORD]
    with httpx.Client(base_url=base, verify=context) as http:
        tokens = http.post("/auth/token", json={"login": "admin", "password": PASSWORD}).json()
        secrets += [tokens["access_token"], tokens["refresh_token"]]
        http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        incident = http.post("/incidents", json={"name": "Missing child"}).json()["id"]
        url = f"wss://127.0.0.1:{port}/incidents/{incident}/live?access_token={tokens['access_token']}"
        with connect(url, ssl=context) as ws:
            assert '"subscribed"' in str(ws.recv(timeout=10))
        fresh = http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        fresh.raise_for_status()
        secrets += [fresh.json()["access_token"], fresh.json()["refresh_token"]]
        http.headers["Authorization"] = f"Bearer {fresh.json()['access_token']}"
        ann = http.post(f"/incidents/{incident}/members", json={"name": "Ann"}).json()["id"]
        code = "lily-rose-7731"
        subject = {
            "name": "Lily",
            "category": "child",
            "age": 5,
            "last_seen_lat": 36.5,
            "last_seen_lon": -84.6,
            "last_seen_at": "2026-06-01T11:00:00Z",
            "guardian_name": "Rose Moore",
            "guardian_relation": "mother",
            "guardian_id_document": "passport ...0421",
            "handover_code": code,
        }
        secrets.append(code)
        made = http.post(f"/incidents/{incident}/subjects", json=subject)
        assert made.status_code == 201, made.text
        path = f"/incidents/{incident}/subjects/{made.json()['id']}"
        found = {"member_id": ann, "lat": 36.51, "lon": -84.61, "condition": "cold, alert"}
        assert http.post(f"{path}/found", json=found).status_code == 200
        # A secret in a query string too (a client's mistake): redacted all the same.
        http.get(f"{path}?handover_code={code}&password={PASSWORD}")
        guardian = {"guardian_name": "Rose Moore", "guardian_relation": "mother", "code": code}
        handed = http.post(f"{path}/handover", json=guardian)
        assert handed.status_code == 200, handed.text
        pair = {k: fresh.json()[k] for k in ("access_token", "refresh_token")}
        out = http.post("/auth/logout", json=pair)
        assert out.status_code == 204
    servers.stop()  # the whole log, shutdown included
    text = log.read_text(errors="replace")
    # The log saw all of it, with the secrets cut out.
    assert "POST /auth/token" in text and "POST /auth/refresh" in text
    assert "/handover HTTP/1.1" in text
    assert "live?access_token=[redacted]" in text and "Shutting down" in text
    assert "handover_code=[redacted]&password=[redacted]" in text
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{len(leaked)} secrets in the server log:\n{text[-3000:]}"
