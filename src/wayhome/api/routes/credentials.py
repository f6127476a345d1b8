"""Member credentials: check one offline, load the trust list and revocation lists.

Any logged-in user may check a credential (``POST /credentials/verify``): the server uses
only the keys and revocation lists it holds, no network. Agency administrators load a new
trust list (signed by the federation, whose key the server pins in its settings) and
revocation lists (signed by the issuing agencies) when the server is online.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter

from wayhome.access.credentials import (
    IssuerKey,
    RevocationList,
    TrustList,
    Verification,
    verify_credential,
)
from wayhome.api.auth import AdminDep, UserDep
from wayhome.api.deps import NowDep, SessionDep, SettingsDep
from wayhome.api.schemas import (
    CredentialClaimsPublic,
    CredentialVerify,
    QualificationPublic,
    RevocationListPublic,
    SignedListUpload,
    TrustedIssuerPublic,
    TrustListPublic,
    VerificationPublic,
)
from wayhome.api.settings import WayhomeSettings
from wayhome.errors import InvalidParameterError
from wayhome.io.credentials import read_issuer_key
from wayhome.store.credentials import (
    apply_revocation_list,
    load_trust_list,
    revocations_from_store,
    trust_from_store,
)

__all__ = [
    "put_revocations",
    "put_trust_list",
    "revocations",
    "router",
    "trust_list",
    "verify",
]

router = APIRouter(tags=["credentials"])


def _signed_bytes(body: SignedListUpload) -> bytes:
    try:
        return base64.b64decode(body.signed.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterError(
            "signed: not base64; send the bytes of the signed list file in base64"
        ) from None


def _pinned(settings: WayhomeSettings) -> list[IssuerKey]:
    return [read_issuer_key(path) for path in settings.federation_keys]


def _verification_public(v: Verification) -> VerificationPublic:
    claims = None
    if v.claims is not None:
        quals = [
            QualificationPublic(
                name=q.name, expires=q.expires, expired=q.name in v.expired_qualifications
            )
            for q in v.claims.qualifications
        ]
        claims = CredentialClaimsPublic(
            credential_id=v.claims.credential_id,
            member_id=v.claims.member_id,
            name=v.claims.name,
            agency=v.claims.agency,
            roles=list(v.claims.roles),
            qualifications=quals,
            issued=v.claims.issued,
            valid_until=v.claims.valid_until,
        )
    age = None if v.revocation_age is None else v.revocation_age.total_seconds()
    return VerificationPublic(
        valid=v.valid,
        code=v.code,
        reason=v.reason,
        claims=claims,
        key_id=v.key_id,
        issuer=v.issuer,
        expired_qualifications=list(v.expired_qualifications),
        revocation_version=v.revocation_version,
        revocation_age_seconds=age,
        revocation_note=v.revocation_note,
    )


def _trust_public(trust: TrustList) -> TrustListPublic:
    return TrustListPublic(
        version=trust.version,
        issuers=[
            TrustedIssuerPublic(
                agency=i.agency,
                key_id=i.key_id,
                public_key=base64.urlsafe_b64encode(i.public_key).rstrip(b"=").decode("ascii"),
            )
            for i in trust.issuers
        ],
    )


def _revocation_public(rl: RevocationList) -> RevocationListPublic:
    return RevocationListPublic(
        key_id=rl.key_id,
        version=rl.version,
        issued=rl.issued,
        revoked=len(rl.revoked),
        revoked_ids=sorted(rl.revoked),
    )


@router.post("/credentials/verify")
def verify(
    body: CredentialVerify, session: SessionDep, user: UserDep, now: NowDep
) -> VerificationPublic:
    """Check a member credential against the keys and revocation lists held (200 either way)."""
    result = verify_credential(
        body.credential,
        trust=trust_from_store(session),
        revocations=revocations_from_store(session),
        now=now,
    )
    return _verification_public(result)


@router.get("/trust-list")
def trust_list(session: SessionDep, user: UserDep) -> TrustListPublic:
    """The issuer keys held, and the version of the trust list they came from."""
    return _trust_public(trust_from_store(session))


@router.put("/trust-list")
def put_trust_list(
    body: SignedListUpload, session: SessionDep, settings: SettingsDep, admin: AdminDep
) -> TrustListPublic:
    """Load a trust list signed by a pinned federation key (422 if not; 409 if older)."""
    load_trust_list(session, _signed_bytes(body), _pinned(settings))
    return _trust_public(trust_from_store(session))


@router.get("/revocations")
def revocations(session: SessionDep, user: UserDep) -> list[RevocationListPublic]:
    """The revocation lists held, one per issuer key."""
    held = revocations_from_store(session).lists
    return [_revocation_public(held[k]) for k in sorted(held)]


@router.put("/revocations")
def put_revocations(
    body: SignedListUpload, session: SessionDep, now: NowDep, admin: AdminDep
) -> RevocationListPublic:
    """Load a revocation list signed by a trusted issuer key (422 if not; 409 if older)."""
    return _revocation_public(apply_revocation_list(session, _signed_bytes(body), now))
