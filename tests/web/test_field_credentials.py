"""Checking a member credential in the field view, offline: a photo of the QR code, the camera.

The server holds a trust list (one agency key, Ridgeline SAR) and Ridgeline's revocation list
(written to its database before it starts). The phone fetches both once while online, then
goes offline (``context.set_offline``) and checks QR codes rendered by
:func:`wayhome.io.credentials.write_qr`: valid, a flipped bit, an unknown issuer, a key not in
the trust list, expired, revoked. The camera test feeds the QR code through chromium's fake
camera (a Y4M video file).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from wayhome.access.cose import base45_decode, base45_encode
from wayhome.access.credentials import (
    CREDENTIAL_PREFIX,
    CredentialClaims,
    Qualification,
    SigningKey,
    generate_signing_key,
    issue_credential,
    sign_revocation_list,
    sign_trust_list,
)
from wayhome.io.credentials import credential_qr, write_qr
from wayhome.store.credentials import apply_revocation_list, load_trust_list
from web.harness import CHROMIUM, CHROMIUM_ARGS, OFFLINE_RESOLVER, LiveIncident
from web.ownsite import OriginGuard, OwnSite, database, own_site
from web.pages import open_field_view

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

    from web.conftest import Site

PHONE = {"width": 390, "height": 844}
NOW = datetime.now(UTC).replace(microsecond=0)
RIDGELINE = generate_signing_key("Ridgeline SAR")
RIDGELINE_NEW = generate_signing_key("Ridgeline SAR")  # a key the trust list does not hold
ELSEWHERE = generate_signing_key("Elsewhere Rescue")  # an agency the trust list does not hold
FEDERATION = generate_signing_key("Mountain SAR Federation")


def _credential(
    credential_id: str,
    key: SigningKey = RIDGELINE,
    *,
    issued: datetime = NOW - timedelta(days=30),
    valid_until: datetime = NOW + timedelta(days=365),
) -> str:
    claims = CredentialClaims(
        credential_id=credential_id,
        member_id="RS-042",
        name="Ann Lee",
        agency=key.agency,
        roles=("searcher", "team_leader"),
        qualifications=(
            Qualification("SARTECH II", date(NOW.year + 2, 6, 30)),
            Qualification("EMT", date(NOW.year - 1, 5, 1)),
        ),
        issued=issued,
        valid_until=valid_until,
    )
    return issue_credential(claims, key)


def _flip_a_bit(text: str) -> str:
    """The credential with one bit of the name changed ("Ann Lee" -> "Cnn Lee")."""
    data = bytearray(base45_decode(text[len(CREDENTIAL_PREFIX) :]))
    at = bytes(data).index(b"Ann Lee")
    data[at] ^= 0x02
    return CREDENTIAL_PREFIX + base45_encode(bytes(data))


VALID = _credential("C-VALID")
CASES = {
    "valid": VALID,
    "altered": _flip_a_bit(VALID),
    "unknown_issuer": _credential("C-ELSE", ELSEWHERE),
    "untrusted_key": _credential("C-NEWKEY", RIDGELINE_NEW),
    "expired": _credential(
        "C-OLD", issued=NOW - timedelta(days=400), valid_until=NOW - timedelta(days=30)
    ),
    "revoked": _credential("C-REVOKED"),
}


def _trust(session: Session, live: LiveIncident) -> None:
    signed = sign_trust_list([RIDGELINE.issuer], version=1, issued=NOW, key=FEDERATION)
    load_trust_list(session, signed, [FEDERATION.issuer])
    revoked = sign_revocation_list(
        ["C-REVOKED"], version=4, issued=NOW - timedelta(days=3), key=RIDGELINE
    )
    apply_revocation_list(session, revoked, NOW)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def cred_site(
    request: pytest.FixtureRequest, web_app: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnSite]:
    """A server whose database holds the trust list and Ridgeline's revocation list."""
    tmp = tmp_path_factory.mktemp(f"cred-{request.param}")
    base = None if request.param == "sqlite" else request.getfixturevalue("postgres_database")
    with (
        database(request.param, tmp, base) as url,
        own_site(
            url,
            backend=request.param,
            plan_dir=web_app.demo.plan_dir,
            cwd=web_app.demo.out.parent,
            setup=_trust,
        ) as site,
    ):
        yield site


@pytest.fixture
def guard(browser: Browser, cred_site: OwnSite) -> Iterator[OriginGuard]:
    g = OriginGuard(browser=browser, origin=cred_site.origin)
    yield g
    g.close()
    assert not g.foreign, f"requests left the origin {cred_site.origin}: {g.foreign}"


@pytest.fixture(scope="module")
def qr_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("qr")
    paths = {}
    for name, text in CASES.items():
        paths[name] = folder / f"{name}.png"
        write_qr(paths[name], text)
    return paths


def _open_check(page: Page, site: OwnSite) -> None:
    open_field_view(page, site.origin, *site.live.searcher)
    panel = page.get_by_test_id("credential-check")
    panel.scroll_into_view_if_needed()
    # The trust list and the revocation list were fetched and kept on the phone.
    expect(page.get_by_test_id("credential-trust")).to_have_attribute("data-issuers", "1")
    expect(page.get_by_test_id("credential-trust")).to_contain_text("version 4, 3 days old")


def test_credentials_are_checked_offline_from_a_photo_of_the_qr_code(
    guard: OriginGuard,
    cred_site: OwnSite,
    qr_files: dict[str, Path],
    artifacts: Path,
) -> None:
    context = guard.new(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    _open_check(page, cred_site)
    panel = page.get_by_test_id("credential-check")
    context.set_offline(True)
    expect(page.get_by_test_id("online-state")).to_have_text("offline")
    sent_before = len(guard.sent)
    verdict = page.get_by_test_id("credential-verdict")
    headline = page.get_by_test_id("credential-headline")
    reason = page.get_by_test_id("credential-reason")
    expected = {
        "valid": ("Valid", "valid: Ann Lee (RS-042), Ridgeline SAR"),
        "altered": ("bad signature", "the signature does not match"),
        "unknown_issuer": ("unknown issuer", 'of "Elsewhere Rescue", which is not in'),
        "untrusted_key": ("key not in the trust list", f"it holds {RIDGELINE.key_id}"),
        "expired": ("expired", "expired: it was valid until"),
        "revoked": ("revoked", "revoked by Ridgeline SAR; revocation list 3 days old (version 4)"),
    }
    for code, (title, why) in expected.items():
        page.get_by_test_id("credential-photo").set_input_files(qr_files[code])
        expect(verdict).to_have_attribute("data-code", code)
        expect(headline).to_contain_text(title)
        expect(reason).to_contain_text(why)
        expect(verdict).to_have_attribute("data-valid", "true" if code == "valid" else "false")
        if code in ("valid", "expired", "revoked"):  # signature checked: whose it is is shown
            expect(page.get_by_test_id("credential-name")).to_have_text("Ann Lee")
            expect(page.get_by_test_id("credential-agency")).to_have_text("Ridgeline SAR")
        else:
            expect(page.get_by_test_id("credential-name")).to_have_count(0)
        if code == "valid":
            quals = page.get_by_test_id("credential-qualifications").locator("li")
            expect(quals).to_have_count(2)
            expect(quals.nth(0)).to_contain_text(f"SARTECH II — until {NOW.year + 2}-06-30")
            expect(quals.nth(1)).to_have_attribute("data-expired", "true")
            until = (NOW + timedelta(days=365)).strftime("%Y-%m-%d %H:%MZ")
            expect(page.get_by_test_id("credential-valid-until")).to_have_text(until)
            expect(page.get_by_test_id("credential-revocation")).to_contain_text(
                "revocation list 3 days old (version 4)"
            )
            panel.screenshot(path=str(artifacts / f"field-credential-valid{cred_site.tag}.png"))
        if code == "altered":
            name = f"field-credential-altered{cred_site.tag}.png"
            panel.screenshot(path=str(artifacts / name))
    # Offline: every check was made on the phone (nothing reached the server).
    checks = [url for method, url in guard.sent[sent_before:] if "/credentials/" in url]
    assert checks == [], checks


def _y4m(path: Path, text: str, width: int = 640, height: int = 480, frames: int = 5) -> None:
    """A Y4M video (4:2:0) of the credential's QR code, black on white, for the fake camera."""
    matrix = np.array(list(credential_qr(text).matrix_iter(scale=1, border=4)), dtype=bool)
    scale = min(width, height) * 9 // 10 // matrix.shape[0]
    qr = np.where(np.kron(matrix, np.ones((scale, scale), dtype=bool)), 0, 255).astype(np.uint8)
    luma = np.full((height, width), 255, dtype=np.uint8)
    top, left = (height - qr.shape[0]) // 2, (width - qr.shape[1]) // 2
    luma[top : top + qr.shape[0], left : left + qr.shape[1]] = qr
    chroma = np.full((height // 2) * (width // 2), 128, dtype=np.uint8).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + luma.tobytes() + chroma + chroma)


def test_a_credential_is_scanned_with_the_camera(
    playwright: Playwright,
    cred_site: OwnSite,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    video = tmp_path / "qr.y4m"
    _y4m(video, VALID)
    camera = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            OFFLINE_RESOLVER,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    guard = OriginGuard(browser=camera, origin=cred_site.origin)
    try:
        context = guard.new(viewport=PHONE, is_mobile=True, has_touch=True, permissions=["camera"])
        page = context.new_page()
        _open_check(page, cred_site)
        context.set_offline(True)
        page.get_by_test_id("credential-scan").click()
        verdict = page.get_by_test_id("credential-verdict")
        expect(verdict).to_have_attribute("data-code", "valid")
        expect(page.get_by_test_id("credential-scan-status")).to_have_text(
            "Code read from the camera."
        )
        expect(page.get_by_test_id("credential-name")).to_have_text("Ann Lee")
        expect(page.get_by_test_id("credential-video")).to_be_hidden()  # the camera is let go
        name = f"field-credential-camera{cred_site.tag}.png"
        page.get_by_test_id("credential-check").screenshot(path=str(artifacts / name))
    finally:
        guard.close()
        camera.close()
    assert not guard.foreign, guard.foreign
