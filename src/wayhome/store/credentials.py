"""The trust list and revocation lists an install holds, to check member credentials offline.

A signed trust list (from the agencies' federation, checked against the pinned federation
keys) replaces the issuer keys of the previous list; keys added by hand (``list_version``
0) stay. A signed revocation list (from an issuing key in the trust list) replaces that
key's revoked ids. Neither may go back to an older version, so a replayed old list
cannot un-revoke a credential.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from wayhome.access.credentials import (
    IssuerKey,
    RevocationList,
    RevocationStatus,
    StaleListError,
    TrustList,
    revocation_list_from_signed,
)
from wayhome.errors import ConflictError
from wayhome.store.models import CredentialRevocation, TrustedIssuer
from wayhome.store.models import RevocationList as HeldRevocationList

__all__ = [
    "apply_revocation_list",
    "load_trust_list",
    "revocations_from_store",
    "trust_from_store",
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _held_list_version(session: Session) -> int:
    held = session.scalar(select(func.max(TrustedIssuer.list_version)))
    return int(held or 0)


def load_trust_list(session: Session, signed: bytes, pinned: Sequence[IssuerKey]) -> TrustList:
    """Check a signed trust list against the ``pinned`` federation keys and hold it.

    Loading the version already held again changes nothing.

    Raises
    ------
    SignatureError
        When it is not signed by a pinned key (or was altered).
    StaleListError
        When an older version than the one held is offered.
    ConflictError
        When the version held is offered with other keys (the federation must count up).
    """
    held = _held_list_version(session)
    trust = TrustList.from_signed(signed, pinned, held_version=held or None)
    rows = {r.key_id: r for r in session.scalars(select(TrustedIssuer)).all()}
    wanted = {i.key_id: i for i in trust.issuers}
    if trust.version == held:
        current = {k for k, r in rows.items() if r.list_version == held}
        if current != set(wanted):
            raise ConflictError(
                f"trust list: version {held} is already held with other keys; the federation "
                "must sign the changed list with a higher version"
            )
        return trust
    for key_id, row in rows.items():
        if row.list_version > 0 and key_id not in wanted:
            session.delete(row)  # dropped by the federation
    for key_id, issuer in wanted.items():
        row = rows.get(key_id) or TrustedIssuer(key_id=key_id)
        session.add(row)
        row.agency_name = issuer.agency
        row.public_key = _b64(issuer.public_key)
        row.list_version = trust.version
    session.commit()
    return trust


def trust_from_store(session: Session) -> TrustList:
    """The issuer keys held, as a :class:`TrustList` (version: the newest list loaded)."""
    rows = session.scalars(select(TrustedIssuer).order_by(TrustedIssuer.key_id))
    issuers = tuple(IssuerKey(r.agency_name, _unb64(r.public_key)) for r in rows)
    return TrustList(version=_held_list_version(session), issued=None, issuers=issuers)


def apply_revocation_list(session: Session, signed: bytes, now: datetime) -> RevocationList:
    """Check a signed revocation list against the trust list held and hold it.

    The list replaces the revoked ids held for its key; ``now`` is recorded as when it
    was fetched. The same version again only updates that time.

    Raises
    ------
    SignatureError
        When its key is not in the trust list held, or it was altered.
    StaleListError
        When it is older than the list held for that key.
    ConflictError
        When the version held is offered with other ids.
    """
    rl = revocation_list_from_signed(signed, trust_from_store(session))
    held = session.get(HeldRevocationList, rl.key_id)
    revoked = {
        r.credential_id: r
        for r in session.scalars(
            select(CredentialRevocation).where(CredentialRevocation.key_id == rl.key_id)
        )
    }
    if held is not None and rl.version < held.version:
        raise StaleListError(
            f"revocation list: version {rl.version} of key {rl.key_id} is older than version "
            f"{held.version} held here; get the issuer's newest list"
        )
    if held is not None and rl.version == held.version and set(revoked) != rl.revoked:
        raise ConflictError(
            f"revocation list: version {rl.version} of key {rl.key_id} is already held with "
            "other ids; the issuer must sign the changed list with a higher version"
        )
    if held is None:
        held = HeldRevocationList(key_id=rl.key_id)
        session.add(held)
    held.version = rl.version
    held.issued_at = rl.issued
    held.fetched_at = now
    if revoked.keys() - rl.revoked:
        session.execute(
            delete(CredentialRevocation).where(
                CredentialRevocation.key_id == rl.key_id,
                CredentialRevocation.credential_id.in_(revoked.keys() - rl.revoked),
            )
        )
    session.add_all(
        CredentialRevocation(key_id=rl.key_id, credential_id=i, revoked_at=rl.issued)
        for i in sorted(rl.revoked - revoked.keys())
    )
    session.commit()
    return rl


def revocations_from_store(session: Session) -> RevocationStatus:
    """The revocation lists held, one per issuer key."""
    ids: dict[str, set[str]] = {}
    for key_id, credential_id in session.execute(
        select(CredentialRevocation.key_id, CredentialRevocation.credential_id)
    ):
        ids.setdefault(key_id, set()).add(credential_id)
    return RevocationStatus.of(
        RevocationList(
            key_id=row.key_id,
            version=row.version,
            issued=row.issued_at,
            revoked=frozenset(ids.get(row.key_id, ())),
        )
        for row in session.scalars(select(HeldRevocationList))
    )
