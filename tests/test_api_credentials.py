"""Member credentials through the HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import login_as, problem
from wayhome.access.credentials import (
    CredentialClaims,
    Qualification,
    SigningKey,
    generate_signing_key,
    issue_credential,
    sign_revocation_list,
    sign_trust_list,
)
from wayhome.io.credentials import write_issuer_key

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # the ``clock`` fixture's start

RIDGELINE = generate_signing_key("Ridgeline SAR")
FEDERATION = generate_signing_key("Mountain SAR Federation")


def b64(data: bytes) -> dict[str, str]:
    return {"signed": base64.b64encode(data).decode("ascii")}


def credential(
    credential_id: str = "C-ANN",
    key: SigningKey = RIDGELINE,
    *,
    valid_until: datetime = T0 + timedelta(days=365),
) -> str:
    claims = CredentialClaims(
        credential_id=credential_id,
        member_id="RS-042",
        name="Ann Lee",
        agency=key.agency,
        roles=("searcher",),
        qualifications=(
            Qualification("SARTECH II", date(2027, 6, 30)),
            Qualification("EMT", date(2026, 5, 1)),
        ),
        issued=T0 - timedelta(days=30),
        valid_until=valid_until,
    )
    return issue_credential(claims, key)


def trust_list(version: int, *keys: SigningKey) -> bytes:
    return sign_trust_list(
        [k.issuer for k in keys or (RIDGELINE,)], version=version, issued=T0, key=FEDERATION
    )


@pytest.fixture
def pinned(client: TestClient, tmp_path: Path) -> TestClient:
    """``client`` with the federation's key pinned and its trust list (version 1) loaded."""
    path = tmp_path / "federation.pub"
    write_issuer_key(path, FEDERATION.issuer)
    client.app.state.settings.federation_keys = [path]  # type: ignore[attr-defined]
    response = client.put("/trust-list", json=b64(trust_list(1)))
    assert response.status_code == 200, response.text
    return client


def verify(client: TestClient, text: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post("/credentials/verify", json={"credential": text}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_credential_verifies_offline_against_the_trust_list_held(
    pinned: TestClient, clock: list[datetime]
) -> None:
    assert pinned.get("/trust-list").json() == {
        "version": 1,
        "issuers": [
            {
                "agency": "Ridgeline SAR",
                "key_id": RIDGELINE.key_id,
                # The raw key, so a phone can check credentials with no network.
                "public_key": base64.urlsafe_b64encode(RIDGELINE.issuer.public_key)
                .rstrip(b"=")
                .decode("ascii"),
            }
        ],
    }
    body = verify(pinned, credential())
    assert body["valid"] is True and body["code"] == "valid"
    assert body["reason"].startswith("valid: Ann Lee (RS-042), Ridgeline SAR")
    assert body["issuer"] == "Ridgeline SAR" and body["key_id"] == RIDGELINE.key_id
    claims = body["claims"]
    assert claims["member_id"] == "RS-042" and claims["roles"] == ["searcher"]
    assert claims["qualifications"] == [
        {"name": "SARTECH II", "expires": "2027-06-30", "expired": False},
        {"name": "EMT", "expires": "2026-05-01", "expired": True},
    ]
    assert body["expired_qualifications"] == ["EMT"]
    assert body["revocation_note"] == (
        "revocation not checked: no revocation list from Ridgeline SAR held"
    )


def test_revocation_lists_are_loaded_and_their_age_reported(
    pinned: TestClient, clock: list[datetime]
) -> None:
    signed = sign_revocation_list(
        ["C-ANN"], version=12, issued=T0 - timedelta(days=3), key=RIDGELINE
    )
    response = pinned.put("/revocations", json=b64(signed))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "key_id": RIDGELINE.key_id,
        "version": 12,
        "issued": "2026-05-29T14:00:00Z",
        "revoked": 1,
        "revoked_ids": ["C-ANN"],  # so a phone can check revocation with no network
    }
    assert [r["version"] for r in pinned.get("/revocations").json()] == [12]
    revoked = verify(pinned, credential("C-ANN"))
    assert (revoked["valid"], revoked["code"]) == (False, "revoked")
    assert revoked["reason"] == "revoked by Ridgeline SAR; revocation list 3 days old (version 12)"
    assert revoked["claims"]["name"] == "Ann Lee"
    fine = verify(pinned, credential("C-BEN"))
    assert fine["valid"] is True
    assert fine["revocation_version"] == 12
    assert fine["revocation_age_seconds"] == 3 * 86400
    clock[0] = T0 + timedelta(days=2)
    assert verify(pinned, credential("C-BEN"))["revocation_note"] == (
        "revocation list 5 days old (version 12)"
    )
    # The same list again is a no-op; an older one is refused (it would un-revoke).
    assert pinned.put("/revocations", json=b64(signed)).status_code == 200
    older = sign_revocation_list([], version=11, issued=T0, key=RIDGELINE)
    body = problem(pinned.put("/revocations", json=b64(older)), 409)
    assert "version 11" in body["detail"] and "older than version 12" in body["detail"]
    other = sign_revocation_list(["C-X"], version=12, issued=T0, key=RIDGELINE)
    assert (
        "already held with other ids"
        in problem(pinned.put("/revocations", json=b64(other)), 409)["detail"]
    )
    newer = sign_revocation_list([], version=13, issued=T0, key=RIDGELINE)
    assert pinned.put("/revocations", json=b64(newer)).json()["revoked"] == 0
    assert verify(pinned, credential("C-ANN"))["valid"] is True  # un-revoked by the issuer


@pytest.mark.parametrize("kind", ["flipped", "expired", "unknown", "untrusted", "garbage"])
def test_credentials_that_fail_say_why(
    pinned: TestClient, clock: list[datetime], kind: str
) -> None:
    expected = {
        "flipped": ("altered", "the signature does not match: the credential was altered"),
        "expired": ("expired", "expired: it was valid until 2026-05-31 14:00Z"),
        "unknown": ("unknown_issuer", "which is not in your trust list: an unknown issuer"),
        "untrusted": ("untrusted_key", f"(it holds {RIDGELINE.key_id} for Ridgeline SAR)"),
        "garbage": ("malformed", "cannot read the credential: it does not start with 'WH1:'"),
    }[kind]
    if kind == "flipped":
        good = credential()
        text = good[:-20] + ("0" if good[-20] != "0" else "1") + good[-19:]
    elif kind == "expired":
        text = credential(valid_until=T0 - timedelta(days=1))
    elif kind == "unknown":
        text = credential(key=generate_signing_key("Lowland Rescue"))
    elif kind == "untrusted":
        text = credential(key=generate_signing_key("Ridgeline SAR"))
    else:
        text = "not a credential"
    body = verify(pinned, text)
    assert body["valid"] is False
    assert body["code"] == expected[0]
    assert expected[1] in body["reason"]


def test_any_logged_in_user_may_verify_but_only_admins_load_lists(
    pinned: TestClient, incident: int
) -> None:
    viewer = login_as(pinned, incident, "viewer")
    assert verify(pinned, credential(), headers=viewer)["valid"] is True
    problem(pinned.put("/trust-list", json=b64(trust_list(2)), headers=viewer), 403)
    signed = sign_revocation_list([], version=1, issued=T0, key=RIDGELINE)
    problem(pinned.put("/revocations", json=b64(signed), headers=viewer), 403)
    anonymous = {"Authorization": ""}
    response = pinned.post(
        "/credentials/verify", json={"credential": credential()}, headers=anonymous
    )
    problem(response, 401)


def test_trust_lists_must_be_signed_by_the_pinned_key_and_count_up(pinned: TestClient) -> None:
    lowland = generate_signing_key("Lowland Rescue")
    rogue = sign_trust_list([lowland.issuer], version=5, issued=T0, key=lowland)
    assert (
        "not a pinned federation key"
        in problem(pinned.put("/trust-list", json=b64(rogue)), 422)["detail"]
    )
    assert (
        "already held with other keys"
        in problem(pinned.put("/trust-list", json=b64(trust_list(1, RIDGELINE, lowland))), 409)[
            "detail"
        ]
    )
    assert pinned.put("/trust-list", json=b64(trust_list(1))).status_code == 200  # same again
    response = pinned.put("/trust-list", json=b64(trust_list(3, lowland)))
    assert response.status_code == 200, response.text
    issuers = [(i["agency"], i["key_id"]) for i in response.json()["issuers"]]
    assert issuers == [("Lowland Rescue", lowland.key_id)]
    # Ridgeline was dropped by the federation: its credentials no longer verify.
    assert verify(pinned, credential())["code"] == "unknown_issuer"
    stale = problem(pinned.put("/trust-list", json=b64(trust_list(2))), 409)
    assert "version 2 is older than version 3" in stale["detail"]
    assert (
        "signed: not base64"
        in problem(pinned.put("/trust-list", json={"signed": "%%%"}), 422)["detail"]
    )


def test_without_a_pinned_key_no_trust_list_is_accepted(client: TestClient) -> None:
    body = problem(client.put("/trust-list", json=b64(trust_list(1))), 422)
    assert "no federation key is pinned" in body["detail"]
    assert client.get("/trust-list").json() == {"version": 0, "issuers": []}
    result = verify(client, credential())
    assert result["code"] == "unknown_issuer"
    signed = sign_revocation_list([], version=1, issued=T0, key=RIDGELINE)
    assert (
        "not in your trust list"
        in problem(client.put("/revocations", json=b64(signed)), 422)["detail"]
    )
