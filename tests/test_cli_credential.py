"""``wayhome credential``: keygen, issue, trust-list, revoke and verify, end to end."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clitools import flat, invoke
from wayhome.access.credentials import CredentialClaims, issue_credential
from wayhome.io.credentials import read_signing_key

#: ``cli("issue", "--key", ...)`` -> (exit code, stdout, stderr), both flattened.
Cli = Callable[..., tuple[int, str, str]]


@dataclass(frozen=True)
class Pki:
    """An agency key, a federation key and a trust list holding the agency."""

    dir: Path
    agency: Path
    federation: Path
    trust: Path


def pub(key: Path) -> str:
    """The public key file beside a private key."""
    return str(key.with_suffix(".pub"))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        code, out, err = invoke("credential", list(args), monkeypatch, capsys)
        return code, out, flat(err)

    return run


@pytest.fixture
def pki(tmp_path: Path, cli: Cli) -> Pki:
    agency, federation = tmp_path / "ridge.pem", tmp_path / "fed.pem"
    assert cli("keygen", "--agency", "Ridgeline SAR", "--out", str(agency))[0] == 0
    assert cli("keygen", "--agency", "Mountain Federation", "--out", str(federation))[0] == 0
    trust = tmp_path / "trust.cbor"
    code, _, err = cli(
        "trust-list", "--key", str(federation), "--issuer", pub(agency),
        "--version", "1", "--out", str(trust),
    )  # fmt: skip
    assert code == 0, err
    assert "trust list version 1: 1 key(s)" in err
    return Pki(tmp_path, agency, federation, trust)


def issue(pki: Pki, cli: Cli, *extra: str) -> str:
    """Issue Ann Lee's credential with the agency key; the WH1 text printed."""
    code, out, err = cli(
        "issue", "--key", str(pki.agency), "--member-id", "RS-042", "--name", "Ann Lee",
        "--role", "searcher", "--role", "medic",
        "--qualification", "SARTECH II:2099-06-30", "--qualification", "Rope rescue",
        "--valid-until", "2099-12-31", *extra,
    )  # fmt: skip
    assert code == 0, err
    text = out.strip()
    assert text.startswith("WH1:") and "\n" not in text
    return text


def verify(pki: Pki, cli: Cli, *args: str) -> tuple[int, str, str]:
    code, out, err = cli("verify", *args, "--trust", str(pki.trust), "--pin", pub(pki.federation))
    return code, flat(out), err


def test_keygen_writes_a_private_key_only_its_owner_reads(pki: Pki, cli: Cli) -> None:
    assert stat.S_IMODE(pki.agency.stat().st_mode) == 0o600
    public = Path(pub(pki.agency)).read_bytes()
    assert public.startswith(b"wayhome agency: Ridgeline SAR\n-----BEGIN PUBLIC KEY-----")
    assert b"PRIVATE" not in public
    assert read_signing_key(pki.agency).agency == "Ridgeline SAR"
    before = pki.agency.read_bytes()
    code, _, err = cli("keygen", "--agency", "Ridgeline SAR", "--out", str(pki.agency))
    assert code == 2 and "exists" in err
    assert pki.agency.read_bytes() == before  # the old key is not lost
    code, _, err = cli("keygen", "--agency", "X", "--out", str(pki.dir / "x.pub"))
    assert code == 2 and "ends in .pub" in err


def test_issue_then_verify_offline(pki: Pki, cli: Cli) -> None:
    badge, qr = pki.dir / "badge.pdf", pki.dir / "qr.png"
    text = issue(pki, cli, "--out", str(badge), "--qr", str(qr), "--id", "ANN1")
    assert badge.read_bytes().startswith(b"%PDF-")
    assert b"Ann Lee: Ridgeline SAR member credential" in badge.read_bytes()
    assert qr.read_bytes().startswith(b"\x89PNG")
    code, out, _ = verify(pki, cli, text)
    assert code == 0
    assert out.startswith("VALID valid: Ann Lee (RS-042), Ridgeline SAR")
    assert "SARTECH II (until 2099-06-30)" in out
    assert "Rope rescue (until no expiry)" in out
    assert "revocation not checked" in out
    # The same text from a file, with the newline a scanner or editor adds.
    (pki.dir / "scan.txt").write_text(text + "\n", encoding="utf-8")
    assert verify(pki, cli, "--file", str(pki.dir / "scan.txt"))[0] == 0


def test_a6_badge_and_svg_qr(pki: Pki, cli: Cli) -> None:
    badge, qr = pki.dir / "badge.pdf", pki.dir / "qr.svg"
    issue(pki, cli, "--out", str(badge), "--qr", str(qr), "--size", "a6")
    assert b"/MediaBox [ 0 0 297.6378 419.5276 ]" in badge.read_bytes()  # 105 x 148 mm
    assert b"<svg" in qr.read_bytes()


def test_a_revoked_credential_fails_with_exit_1(pki: Pki, cli: Cli) -> None:
    text = issue(pki, cli, "--id", "ANN1")
    rl1, rl2 = pki.dir / "rl1.cbor", pki.dir / "rl2.cbor"
    key = ("--key", str(pki.agency))
    assert cli("revoke", *key, "--id", "OLD9", "--version", "1", "--out", str(rl1))[0] == 0
    assert verify(pki, cli, text, "--revocations", str(rl1))[0] == 0
    code, _, err = cli("revoke", *key, "--id", "ANN1", "--previous", str(rl1), "--out", str(rl2))
    assert code == 0 and "version 2" in err and "2 credential(s) revoked" in err
    code, out, err = verify(pki, cli, text, "--revocations", str(rl2))
    assert code == 1
    assert out.startswith("NOT VALID revoked by Ridgeline SAR; revocation list less than an hour")
    assert "(version 2)" in out
    assert err.startswith("error: credential not valid: revoked by Ridgeline SAR")


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("expired", "NOT VALID expired: it was valid until 2026-02-01 00:00Z"),
        ("flipped", "NOT VALID the signature does not match: the credential was altered"),
        ("stranger", "which is not in your trust list"),
        ("garbage", "NOT VALID cannot read the credential: it does not start with 'WH1:'"),
    ],
)
def test_credentials_that_fail_say_why_and_exit_1(
    pki: Pki, cli: Cli, kind: str, words: str
) -> None:
    if kind == "expired":
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        until = t0 + timedelta(days=31)
        claims = CredentialClaims("C1", "RS-1", "Ann Lee", "Ridgeline SAR", (), (), t0, until)
        text = issue_credential(claims, read_signing_key(pki.agency))
    elif kind == "flipped":
        good = issue(pki, cli)
        i = len(good) - 20  # in the signature
        text = good[:i] + ("0" if good[i] != "0" else "1") + good[i + 1 :]
    elif kind == "stranger":
        low = str(pki.dir / "low.pem")
        assert cli("keygen", "--agency", "Lowland Rescue", "--out", low)[0] == 0
        code, out, _ = cli(
            "issue", "--key", low, "--member-id", "L1", "--name", "Bo",
            "--valid-until", "2099-01-01",
        )  # fmt: skip
        assert code == 0
        text = out.strip()
    else:
        text = "https://example.org/not-a-credential"
    code, out, err = verify(pki, cli, text)
    assert code == 1, err
    assert words in out
    assert err.startswith("error: credential not valid:")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--qualification", "SARTECH II:30/06/2027"], "--qualification: cannot read"),
        (["--valid-until", "2020-01-01"], "--valid-until: 2020-01-01 is already past"),
        (["--valid-until", "next year"], "--valid-until: cannot read 'next year'"),
        (["--size", "poster"], "--size: 'poster'; choose card or a6"),
        (["--agency", "Lowland Rescue"], "agency: the credential names 'Lowland Rescue'"),
        (["--qr", "qr.gif"], "qr: 'qr.gif' must end in .png or .svg"),
    ],
)
def test_issue_usage_errors_exit_2(pki: Pki, cli: Cli, args: list[str], words: str) -> None:
    base = ["issue", "--key", str(pki.agency), "--member-id", "M", "--name", "N"]
    if "--valid-until" not in args:
        base += ["--valid-until", "2099-01-01"]
    code, out, err = cli(*base, *args)
    assert code == 2
    assert words in err
    assert out == ""


def test_verify_usage_errors_exit_2(pki: Pki, cli: Cli) -> None:
    code, _, err = verify(pki, cli)
    assert code == 2 and "give the WH1:... text or --file" in err
    code, _, err = cli("verify", "WH1:X")
    assert code == 2 and "--trust and --pin" in err
    # A trust list checked against the wrong key is refused, not used.
    code, _, err = cli("verify", "WH1:X", "--trust", str(pki.trust), "--pin", pub(pki.agency))
    assert code == 2 and "which is not a pinned federation key" in err
    missing = str(pki.dir / "missing.pem")
    code, _, err = cli(
        "issue", "--key", missing, "--member-id", "M", "--name", "N", "--valid-until", "2099-01-01"
    )
    assert code == 2 and "does not exist" in err


def test_revoke_needs_a_version_that_counts_up(pki: Pki, cli: Cli) -> None:
    rl, key = pki.dir / "rl.cbor", ("--key", str(pki.agency))
    code, _, err = cli("revoke", *key, "--id", "A", "--out", str(rl))
    assert code == 2 and "--version: required" in err
    assert cli("revoke", *key, "--id", "A", "--version", "3", "--out", str(rl))[0] == 0
    again = str(pki.dir / "rl2.cbor")
    code, _, err = cli("revoke", *key, "--previous", str(rl), "--version", "3", "--out", again)
    assert code == 2 and "--version: 3 is not above 3" in err
