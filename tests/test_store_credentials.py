"""The trust list and revocation lists held in the store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.access.credentials import (
    SignatureError,
    SigningKey,
    StaleListError,
    generate_signing_key,
    sign_revocation_list,
    sign_trust_list,
)
from wayhome.errors import ConflictError
from wayhome.store.credentials import (
    apply_revocation_list,
    load_trust_list,
    revocations_from_store,
    trust_from_store,
)
from wayhome.store.models import CredentialRevocation, TrustedIssuer

T0 = datetime(2026, 6, 1, tzinfo=UTC)
FEDERATION = generate_signing_key("Mountain SAR Federation")
RIDGELINE = generate_signing_key("Ridgeline SAR")
LOWLAND = generate_signing_key("Lowland Rescue")


def signed_trust(version: int, *keys: SigningKey) -> bytes:
    issuers = [k.issuer for k in (keys or (RIDGELINE,))]
    return sign_trust_list(issuers, version=version, issued=T0, key=FEDERATION)


def test_a_loaded_trust_list_comes_back_from_the_store(session: Session) -> None:
    assert trust_from_store(session).issuers == ()
    loaded = load_trust_list(session, signed_trust(2, RIDGELINE, LOWLAND), [FEDERATION.issuer])
    held = trust_from_store(session)
    assert held.version == 2
    assert set(held.issuers) == set(loaded.issuers) == {RIDGELINE.issuer, LOWLAND.issuer}
    row = session.scalar(select(TrustedIssuer).where(TrustedIssuer.key_id == RIDGELINE.key_id))
    assert row is not None and row.list_version == 2
    assert base64.urlsafe_b64decode(row.public_key + "=") == RIDGELINE.issuer.public_key


def test_a_new_list_replaces_the_old_but_keeps_keys_added_by_hand(session: Session) -> None:
    hand = generate_signing_key("Valley Rescue")
    session.add(
        TrustedIssuer(
            key_id=hand.key_id,
            agency_name=hand.agency,
            public_key=base64.urlsafe_b64encode(hand.issuer.public_key).decode().rstrip("="),
            list_version=0,
        )
    )
    session.commit()
    load_trust_list(session, signed_trust(1, RIDGELINE), [FEDERATION.issuer])
    load_trust_list(session, signed_trust(2, LOWLAND), [FEDERATION.issuer])
    assert {i.agency for i in trust_from_store(session).issuers} == {
        "Lowland Rescue",
        "Valley Rescue",
    }
    with pytest.raises(StaleListError):
        load_trust_list(session, signed_trust(1, RIDGELINE), [FEDERATION.issuer])
    with pytest.raises(ConflictError, match="already held with other keys"):
        load_trust_list(session, signed_trust(2, RIDGELINE), [FEDERATION.issuer])
    with pytest.raises(SignatureError):
        load_trust_list(session, signed_trust(3), [RIDGELINE.issuer])
    assert trust_from_store(session).version == 2  # nothing refused was kept


def test_revocation_lists_replace_the_ids_of_their_key(session: Session) -> None:
    load_trust_list(session, signed_trust(1, RIDGELINE, LOWLAND), [FEDERATION.issuer])
    first = sign_revocation_list(["A", "B"], version=1, issued=T0, key=RIDGELINE)
    apply_revocation_list(session, first, T0 + timedelta(hours=1))
    later = T0 + timedelta(days=1)
    apply_revocation_list(
        session, sign_revocation_list(["B", "C"], version=2, issued=later, key=RIDGELINE), later
    )
    apply_revocation_list(
        session, sign_revocation_list(["Z"], version=7, issued=T0, key=LOWLAND), later
    )
    status = revocations_from_store(session)
    assert status.lists[RIDGELINE.key_id].revoked == {"B", "C"}
    assert status.lists[RIDGELINE.key_id].version == 2
    assert status.lists[RIDGELINE.key_id].issued == later
    assert status.lists[LOWLAND.key_id].revoked == {"Z"}
    kept = session.scalar(
        select(CredentialRevocation).where(CredentialRevocation.credential_id == "B")
    )
    assert kept is not None and kept.revoked_at == T0  # first revoked by version 1
    with pytest.raises(StaleListError, match="older than version 2"):
        apply_revocation_list(session, first, later)
