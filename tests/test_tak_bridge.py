"""The bridge against a real TAK server on loopback (taky), over TCP, TLS and UDP.

taky 0.10 (PyPI, pure Python, runs on 3.11) is started as a subprocess; a second CoT
client (a plain or TLS socket) must receive what wayhome publishes, and what it sends
must land in the incident. Malformed CoT comes from a hostile loopback peer instead (a
TAK server parses and drops it before routing): each kind is dropped with a log line
and the bridge keeps taking good reports.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy.orm import Session

from test_tak_cot import BILLION_LAUGHS
from test_tak_picture import TakIncident, tak_incident
from wayhome.errors import WayhomeError
from wayhome.store import engine_from_url, member_track, session_factory
from wayhome.store.clues import list_clues
from wayhome.tak import CotEvent, MalformedCotError, TakBridge, TakServer, parse_cot

LOOPBACK = "127.0.0.1"


# --- a TAK server, a second client, the bridge ----------------------------------------


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Certs:
    ca: Path
    server: tuple[Path, Path]
    bridge: tuple[Path, Path]
    observer: tuple[Path, Path]


def make_certs(folder: Path) -> Certs:
    """A CA, a server certificate for 127.0.0.1 and two client certificates (PEM)."""
    now = datetime.now(UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("wayhome test CA"))
        .issuer_name(name("wayhome test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = folder / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(cn: str, usage: x509.ObjectIdentifier, server: bool) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        cert = builder.sign(ca_key, hashes.SHA256())
        cert_path, key_path = folder / f"{cn}.pem", folder / f"{cn}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path

    return Certs(
        ca=ca_path,
        server=leaf("server", ExtendedKeyUsageOID.SERVER_AUTH, True),
        bridge=leaf("bridge", ExtendedKeyUsageOID.CLIENT_AUTH, False),
        observer=leaf("observer", ExtendedKeyUsageOID.CLIENT_AUTH, False),
    )


@contextlib.contextmanager
def taky_server(folder: Path, certs: Certs | None = None) -> Iterator[int]:
    """taky on 127.0.0.1 (TLS with required client certificates when ``certs``): its port."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    ssl_section = "[ssl]\nenabled = false\n"
    if certs is not None:
        ssl_section = (
            "[ssl]\nenabled = true\nclient_cert_required = true\n"
            f"ca = {certs.ca}\ncert = {certs.server[0]}\nkey = {certs.server[1]}\n"
            f"cert_db = {folder / 'cert-db.txt'}\n"
        )
    config = folder / "taky.conf"
    config.write_text(
        f"[taky]\nhostname = localhost\nbind_ip = {LOOPBACK}\nroot_dir = {folder}\n"
        f"[cot_server]\nport = {port}\n{ssl_section}"
    )
    log = (folder / "taky.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "taky.cot", "-c", str(config), "-l", "info"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, (folder / "taky.log").read_text()
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.2):
                break
            assert time.monotonic() < deadline, "taky did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


class Observer:
    """The second CoT client: reads every event the TAK server routes to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(0.2)
        self.buffer = b""
        self.events: list[CotEvent] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait_for(self, wanted: Callable[[list[CotEvent]], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not wanted(self.events):
            assert time.monotonic() < deadline, [e.uid for e in self.events]
            with contextlib.suppress(TimeoutError, ssl.SSLWantReadError):
                chunk = self.sock.recv(65536)
                assert chunk, "the TAK server closed the connection"
                self.buffer += chunk
            *whole, self.buffer = self.buffer.split(b"</event>")
            for message in whole:
                with contextlib.suppress(MalformedCotError):
                    self.events.append(parse_cot(message + b"</event>"))

    def uids(self) -> set[str]:
        return {e.uid for e in self.events}


@contextlib.contextmanager
def running(bridge: TakBridge) -> Iterator[threading.Thread]:
    """The bridge in a thread with its own event loop, until the block ends."""
    import asyncio

    thread = threading.Thread(target=asyncio.run, args=(bridge.run(),), daemon=True)
    thread.start()
    try:
        assert bridge.connected.wait(15), "the bridge did not connect"
        yield thread
    finally:
        bridge.stop()
        thread.join(15)
        assert not thread.is_alive()


@pytest.fixture
def sessions(database_url: str) -> Iterator[Callable[[], Session]]:
    engine = engine_from_url(database_url)
    yield session_factory(engine)
    engine.dispose()


def pli(uid: str, callsign: str, lat: float, lon: float, when: datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    stale = (when + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        f'<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{stamp}" '
        f'start="{stamp}" stale="{stale}"><point lat="{lat}" lon="{lon}" hae="10" ce="5" '
        f'le="5"/><detail><contact callsign="{callsign}" endpoint="*:-1:stcp"/>'
        '<__group name="Cyan" role="Team Member"/><takv device="test" platform="ATAK" '
        'os="34" version="4.10"/></detail></event>'
    ).encode()


def wait_for_position(
    sessions: Callable[[], Session], incident_id: int, member_id: int, lat: float, within: float
) -> float:
    """Seconds until ``member_id``'s track holds a point at ``lat`` (fails after ``within``)."""
    start = time.monotonic()
    while True:
        with sessions() as s:
            track = member_track(s, incident_id=incident_id, member_id=member_id)
            if any(p.lat == lat for p in track):
                return time.monotonic() - start
        assert time.monotonic() - start < within, f"no position at {lat} within {within} s"
        time.sleep(0.02)


# --- the tests -------------------------------------------------------------------------


def check_round_trip(observer: Observer, sessions: Callable[[], Session], ids: TakIncident) -> None:
    """Shared by TCP and TLS: the observer gets the picture, its PLI and marker land."""
    prefix = f"wayhome-{ids.incident_id}-"
    wanted = {
        f"{prefix}member-{ids.dana}",
        f"{prefix}assignment-{ids.assignment_id}",
        f"{prefix}clue-{ids.clue_id}",
    }
    observer.wait_for(
        lambda events: (
            wanted <= {e.uid for e in events}
            and any(e.uid.startswith(f"{prefix}subject-") for e in events)
        )
    )
    by_uid = {e.uid: e for e in observer.events}
    assert by_uid[f"{prefix}member-{ids.dana}"].type == "a-f-G-U-C"
    assert by_uid[f"{prefix}member-{ids.dana}"].callsign == "Dana Ortiz (Team 1)"
    assert by_uid[f"{prefix}assignment-{ids.assignment_id}"].type == "u-d-f"
    assert by_uid[f"{prefix}clue-{ids.clue_id}"].type == "b-m-p-s-m"

    observer.send(pli("ANDROID-eli", "Eli Park", 35.5123, -83.2877, datetime.now(UTC)))
    took = wait_for_position(sessions, ids.incident_id, ids.eli, 35.5123, within=2.0)
    assert took < 2.0

    marker = pli("marker-1", "tarp", 35.515, -83.281, datetime.now(UTC)).replace(
        b'type="a-f-G-U-C" how="m-g"', b'type="b-m-p-s-m" how="h-g-i-g-o"'
    )
    observer.send(marker)
    deadline = time.monotonic() + 5
    while True:
        with sessions() as s:
            if any(c.lat == 35.515 for c in list_clues(s, ids.incident_id)):
                break
        assert time.monotonic() < deadline, "the marker did not become a clue"
        time.sleep(0.05)


def test_tcp_publish_and_ingest_through_taky(
    session: Session, sessions: Callable[[], Session], tmp_path: Path
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    with taky_server(tmp_path / "taky") as port:
        server = TakServer(f"tcp://{LOOPBACK}:{port}")
        bridge = TakBridge(
            server=server, sessions=sessions, incident_id=ids.incident_id, interval=0.2
        )
        with (
            socket.create_connection((LOOPBACK, port)) as raw,
            running(bridge),
        ):
            check_round_trip(Observer(raw), sessions, ids)
    assert bridge.dropped == 0


def test_tls_with_client_certificates_through_taky(
    session: Session, sessions: Callable[[], Session], tmp_path: Path
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    certs = make_certs(tmp_path)
    with taky_server(tmp_path / "taky", certs) as port:
        # Without a client certificate the server turns the observer away.
        anonymous = ssl.create_default_context(cafile=str(certs.ca))
        with (
            pytest.raises((ssl.SSLError, ConnectionError, OSError)),
            socket.create_connection((LOOPBACK, port)) as raw,
            anonymous.wrap_socket(raw, server_hostname=LOOPBACK) as tls,
        ):
            tls.sendall(b"<event/>")
            assert tls.recv(10)
        server = TakServer(
            f"tls://{LOOPBACK}:{port}", cert=certs.bridge[0], key=certs.bridge[1], ca=certs.ca
        )
        bridge = TakBridge(
            server=server, sessions=sessions, incident_id=ids.incident_id, interval=0.2
        )
        context = ssl.create_default_context(cafile=str(certs.ca))
        context.load_cert_chain(*certs.observer)
        with (
            socket.create_connection((LOOPBACK, port)) as raw,
            context.wrap_socket(raw, server_hostname=LOOPBACK) as tls,
            running(bridge),
        ):
            check_round_trip(Observer(tls), sessions, ids)


def test_udp_publishes_the_picture(
    session: Session, sessions: Callable[[], Session], tmp_path: Path
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind((LOOPBACK, 0))
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        bridge = TakBridge(
            server=TakServer(f"udp://{LOOPBACK}:{port}"),
            sessions=sessions,
            incident_id=ids.incident_id,
            interval=0.2,
        )
        types: dict[str, str] = {}
        with running(bridge):
            deadline = time.monotonic() + 10
            while len(types) < 5:
                assert time.monotonic() < deadline, types
                with contextlib.suppress(TimeoutError):
                    datagram = listener.recv(65536)
                    event = parse_cot(datagram)
                    types[event.uid] = event.type
    prefix = f"wayhome-{ids.incident_id}-"
    assert types[f"{prefix}member-{ids.dana}"] == "a-f-G-U-C"
    assert types[f"{prefix}assignment-{ids.assignment_id}"] == "u-d-f"
    assert types[f"{prefix}clue-{ids.clue_id}"] == "b-m-p-s-m"


def test_server_settings_are_checked(tmp_path: Path) -> None:
    for url, field in (
        ("http://x:1", "server"),
        ("tcp://host-without-port", "server"),
        ("tls://127.0.0.1:8089", "cert"),
    ):
        with pytest.raises(WayhomeError, match=field):
            TakServer(url)
    with pytest.raises(WayhomeError, match="cert"):
        TakServer("tcp://127.0.0.1:8087", cert=tmp_path / "c.pem")
    config = TakServer("tcp://127.0.0.1:8087").pytak_config()
    assert config["COT_URL"] == "tcp://127.0.0.1:8087"


# --- malformed CoT from a hostile peer -------------------------------------------------


def wrong_types() -> bytes:
    return pli("ANDROID-eli", "Eli Park", 1, 2, datetime.now(UTC)).replace(
        b'lat="1"', b'lat="north"'
    )


MALFORMED: dict[str, Callable[[], bytes]] = {
    "bad xml": lambda: b"<event uid='x' type='a-f-G-U-C'><point lat='1' <<<</event>",
    "billion laughs": lambda: BILLION_LAUGHS,
    "wrong types": wrong_types,
    "huge": lambda: b"<event>" + b"A" * 200_000 + b"</event>",
    "huge with an end": lambda: b"<event>" + b"<x/>" * 20_000 + b"</event>",
}


@contextlib.contextmanager
def hostile_peer() -> Iterator[tuple[int, Callable[[], socket.socket]]]:
    """A loopback TCP listener standing in for a TAK server that sends anything."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()
        listener.settimeout(15)
        accepted: list[socket.socket] = []

        def accept() -> socket.socket:
            conn, _ = listener.accept()
            accepted.append(conn)
            return conn

        try:
            yield listener.getsockname()[1], accept
        finally:
            for conn in accepted:
                conn.close()


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_cot_is_dropped_with_a_log_line_and_the_bridge_keeps_running(
    kind: str,
    session: Session,
    sessions: Callable[[], Session],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    with hostile_peer() as (port, accept):
        bridge = TakBridge(
            server=TakServer(f"tcp://{LOOPBACK}:{port}"),
            sessions=sessions,
            incident_id=ids.incident_id,
            interval=0.2,
        )
        with caplog.at_level(logging.WARNING, logger="wayhome.tak"), running(bridge) as thread:
            peer = accept()
            peer.sendall(MALFORMED[kind]())
            peer.sendall(pli("ANDROID-eli", "Eli Park", 35.5001, -83.29, datetime.now(UTC)))
            wait_for_position(sessions, ids.incident_id, ids.eli, 35.5001, within=5)
            assert thread.is_alive() and bridge.connected.is_set()
            # Still taking reports after the bad one.
            peer.sendall(pli("ANDROID-eli", "Eli Park", 35.5002, -83.29, datetime.now(UTC)))
            wait_for_position(sessions, ids.incident_id, ids.eli, 35.5002, within=5)
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1, dropped
    assert "CoT message" in dropped[0]
