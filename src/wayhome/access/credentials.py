"""Member credentials (the "pack bracelet"): signed by an agency, checked offline by anyone.

An agency signs a credential for each of its members (member id, name, agency, roles,
qualifications with their expiry, valid-until) with its Ed25519 key. The credential is a
COSE_Sign1 message (RFC 9052) whose payload is a small CBOR map, written (optionally
zlib-compressed) as ``WH1:`` + base45 (RFC 9285): the text of a QR code in alphanumeric
mode, as the EU Digital COVID Certificate does.

Any install that holds the issuing agency's public key checks a credential without a
network: the keys come in a :class:`TrustList` that the agencies' federation signs and each
install pins the federation's key for; revoked credentials come in a
:class:`RevocationList` signed by the issuing key, and :func:`verify_credential` says how
old the list it used is.

Pure values and bytes here; files are read and written by :mod:`wayhome.io.credentials`,
the lists are kept by :mod:`wayhome.store.credentials`.

Examples
--------
>>> from datetime import UTC, datetime
>>> key = generate_signing_key("Ridgeline SAR")
>>> claims = CredentialClaims(
...     credential_id="C1", member_id="RS-042", name="Ann Lee", agency="Ridgeline SAR",
...     roles=("searcher",), qualifications=(Qualification("SARTECH II", date(2027, 6, 30)),),
...     issued=datetime(2026, 1, 1, tzinfo=UTC), valid_until=datetime(2027, 1, 1, tzinfo=UTC))
>>> text = issue_credential(claims, key)
>>> text.startswith("WH1:")
True
>>> trust = TrustList(version=1, issued=None, issuers=(key.issuer,))
>>> check = verify_credential(text, trust=trust, revocations=None,
...                           now=datetime(2026, 6, 1, tzinfo=UTC))
>>> check.valid, check.claims == claims
(True, True)
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib
from base64 import b32encode
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypeVar

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wayhome.access.cose import (
    CredentialFormatError,
    base45_decode,
    base45_encode,
    open_sign1,
    read_cbor,
    sign1,
    verify_sign1,
)
from wayhome.errors import ConflictError, InvalidParameterError, UsageError, WayhomeError

__all__ = [
    "CREDENTIAL_PREFIX",
    "DEFAULT_LEEWAY",
    "CredentialClaims",
    "CredentialRejectedError",
    "IssuerKey",
    "Qualification",
    "RevocationList",
    "RevocationStatus",
    "SignatureError",
    "SigningKey",
    "StaleListError",
    "TrustList",
    "Verification",
    "VerificationCode",
    "describe_age",
    "generate_signing_key",
    "issue_credential",
    "issuer_key_from_pem",
    "issuer_key_to_pem",
    "key_id_of",
    "new_credential_id",
    "revocation_list_from_signed",
    "sign_revocation_list",
    "sign_trust_list",
    "signing_key_from_pem",
    "signing_key_to_pem",
    "verify_credential",
]

#: What every credential text starts with (format version 1).
CREDENTIAL_PREFIX = "WH1:"
#: How far this device's clock may be behind the issuer's before "not yet valid".
DEFAULT_LEEWAY = timedelta(minutes=5)

#: Payload keys of a credential (small integers keep the QR code small).
_ID, _MEMBER, _NAME, _AGENCY, _ROLES, _QUALS, _ISSUED, _UNTIL = range(1, 9)
_TRUST_TYPE, _REVOCATION_TYPE = "wayhome-trust-list", "wayhome-revocation-list"
_T = TypeVar("_T")
#: Longest credential text read (a QR code holds at most 4,296 alphanumeric characters).
_MAX_TEXT = 4296
_MAX_PAYLOAD = 16 * 1024
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: The PEM files carry the agency's name on a line of their own before the key.
_AGENCY_LINE = re.compile(rb"^wayhome agency: (.+)$", re.MULTILINE)


class CredentialRejectedError(WayhomeError):
    """A credential that was read but did not verify (the CLI exits 1 on it).

    Not a usage error: the input was fine; the credential is not to be accepted.
    ``verification`` says why.
    """

    def __init__(self, verification: Verification) -> None:
        super().__init__(f"credential not valid: {verification.reason}")
        self.verification = verification


class SignatureError(UsageError):
    """A signed list whose signature does not verify, or whose signer is not trusted."""


class StaleListError(ConflictError):
    """A trust or revocation list older (lower version) than the one already held."""


# --- keys --------------------------------------------------------------------------------


def key_id_of(agency: str, public_key: bytes) -> str:
    """The key id: a slug of the agency and the first 16 hex digits of SHA-256(key).

    Examples
    --------
    >>> key_id_of("Ridgeline SAR", bytes(32))
    'ridgeline-sar-66687aadf862bd77'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", agency.casefold()).strip("-")[:24].strip("-") or "key"
    return f"{slug}-{hashlib.sha256(public_key).hexdigest()[:16]}"


def _agency_name(agency: str, what: str) -> str:
    name = " ".join(str(agency).split())
    if not name:
        raise InvalidParameterError(f"{what}: the agency name is empty; give the agency's name")
    if len(name) > 200:
        raise InvalidParameterError(f"{what}: the agency name is over 200 characters; shorten it")
    return name


@dataclass(frozen=True, slots=True)
class IssuerKey:
    """An agency's public key (32 raw Ed25519 bytes) and the key id made from it."""

    agency: str
    public_key: bytes
    key_id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "agency", _agency_name(self.agency, "issuer"))
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise InvalidParameterError(
                f"public_key: {self.agency}'s key must be 32 raw Ed25519 bytes; "
                "give the key from its .pub file"
            )
        object.__setattr__(self, "key_id", key_id_of(self.agency, self.public_key))


@dataclass(frozen=True, slots=True, eq=False)
class SigningKey:
    """An agency's private Ed25519 key: signs credentials, trust or revocation lists."""

    agency: str
    private_key: Ed25519PrivateKey
    issuer: IssuerKey = field(init=False)

    def __post_init__(self) -> None:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        issuer = IssuerKey(self.agency, raw)
        object.__setattr__(self, "agency", issuer.agency)
        object.__setattr__(self, "issuer", issuer)

    @property
    def key_id(self) -> str:
        """The id of this key (see :func:`key_id_of`)."""
        return self.issuer.key_id


def generate_signing_key(agency: str) -> SigningKey:
    """A new random Ed25519 key for ``agency``."""
    return SigningKey(agency, Ed25519PrivateKey.generate())


def signing_key_to_pem(key: SigningKey) -> bytes:
    """The private key as PKCS#8 PEM, after a ``wayhome agency: NAME`` line (keep it secret)."""
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return f"wayhome agency: {key.agency}\n".encode() + pem


def issuer_key_to_pem(key: IssuerKey) -> bytes:
    """The public key as PEM, after a ``wayhome agency: NAME`` line (to give away)."""
    pem = Ed25519PublicKey.from_public_bytes(key.public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"wayhome agency: {key.agency}\n".encode() + pem


def _pem_agency(data: bytes, what: str) -> str:
    found = _AGENCY_LINE.search(data)
    if found is None:
        raise CredentialFormatError(
            f"{what}: no 'wayhome agency: NAME' line; use a key file made by "
            "'wayhome credential keygen'"
        )
    return found.group(1).decode("utf-8", "replace").strip()


def signing_key_from_pem(data: bytes, *, what: str = "key") -> SigningKey:
    """Read a private key written by :func:`signing_key_to_pem`."""
    agency = _pem_agency(data, what)
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialFormatError(f"{what}: not a readable private key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise CredentialFormatError(f"{what}: not an Ed25519 key; make one with keygen")
    return SigningKey(agency, private)


def issuer_key_from_pem(data: bytes, *, what: str = "public key") -> IssuerKey:
    """Read a public key written by :func:`issuer_key_to_pem` (a private key file works too)."""
    if b"PRIVATE KEY" in data:
        return signing_key_from_pem(data, what=what).issuer
    agency = _pem_agency(data, what)
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise CredentialFormatError(f"{what}: not a readable public key ({exc})") from None
    if not isinstance(public, Ed25519PublicKey):
        raise CredentialFormatError(f"{what}: not an Ed25519 key; make one with keygen")
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return IssuerKey(agency, raw)


def _sign(payload: bytes, key: SigningKey) -> bytes:
    return sign1(payload, private_key=key.private_key, kid=key.key_id)


# --- credentials -------------------------------------------------------------------------


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidParameterError(f"{name}: {value!r} has no time zone; give an aware datetime")
    return value.astimezone(UTC)


def _text(value: object, name: str) -> str:
    if type(value) is not str or not value.strip():
        raise InvalidParameterError(f"{name}: {value!r} must be a non-empty text")
    return value.strip()


@dataclass(frozen=True, slots=True)
class Qualification:
    """A qualification (SARTECH II, EMT, rope rescue, ...) and the day it expires, if it does.

    A qualification is good through its ``expires`` day (UTC).
    """

    name: str
    expires: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text(self.name, "qualification"))
        if self.expires is not None and (
            not isinstance(self.expires, date) or isinstance(self.expires, datetime)
        ):
            raise InvalidParameterError(
                f"qualification {self.name}: expires {self.expires!r} must be a date"
            )


@dataclass(frozen=True, slots=True)
class CredentialClaims:
    """What a credential says about a member, as signed by their agency."""

    credential_id: str
    member_id: str
    name: str
    agency: str
    roles: tuple[str, ...]
    qualifications: tuple[Qualification, ...]
    issued: datetime
    valid_until: datetime

    def __post_init__(self) -> None:
        for name in ("credential_id", "member_id", "name"):
            object.__setattr__(self, name, _text(getattr(self, name), name))
        if len(self.credential_id) > 64:
            raise InvalidParameterError("credential_id: over 64 characters; shorten it")
        object.__setattr__(self, "agency", _agency_name(self.agency, "agency"))
        object.__setattr__(self, "roles", tuple(_text(r, "roles") for r in self.roles))
        quals = tuple(self.qualifications)
        if not all(isinstance(q, Qualification) for q in quals):
            raise InvalidParameterError("qualifications: give Qualification values")
        object.__setattr__(self, "qualifications", quals)
        issued = _utc(self.issued, "issued").replace(microsecond=0)
        until = _utc(self.valid_until, "valid_until").replace(microsecond=0)
        if until <= issued:
            raise InvalidParameterError(
                f"valid_until: {until:%Y-%m-%d %H:%MZ} is not after issued "
                f"{issued:%Y-%m-%d %H:%MZ}; give a later valid-until"
            )
        object.__setattr__(self, "issued", issued)
        object.__setattr__(self, "valid_until", until)


def new_credential_id() -> str:
    """A fresh credential id: 8 base32 characters (40 random bits).

    Examples
    --------
    >>> len(new_credential_id()), new_credential_id().isalnum()
    (8, True)
    """
    return b32encode(secrets.token_bytes(5)).decode("ascii")


def _claims_payload(claims: CredentialClaims) -> bytes:
    quals = [
        [q.name, None if q.expires is None else q.expires.toordinal() - _EPOCH_ORDINAL]
        for q in claims.qualifications
    ]
    return cbor2.dumps(
        {
            _ID: claims.credential_id,
            _MEMBER: claims.member_id,
            _NAME: claims.name,
            _AGENCY: claims.agency,
            _ROLES: list(claims.roles),
            _QUALS: quals,
            _ISSUED: int(claims.issued.timestamp()),
            _UNTIL: int(claims.valid_until.timestamp()),
        }
    )


def _assemble(cls: type[_T], **values: object) -> _T:
    """A frozen dataclass from values whose types were checked (``__post_init__`` skipped).

    Only for content decoded from a signed credential: the issuer built it from checked
    claims, so types are all there is left to check, and verifying 10,000 credentials a
    second leaves about 30 µs each beside the signature.
    """
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def _claims_from_payload(payload: bytes) -> CredentialClaims:
    body = read_cbor(payload, "the credential's content")
    try:
        if type(body) is not dict:
            raise TypeError("not a map of claims")
        texts = (body[_ID], body[_MEMBER], body[_NAME], body[_AGENCY])
        roles, quals, issued, until = body[_ROLES], body[_QUALS], body[_ISSUED], body[_UNTIL]
        if not (
            set(map(type, texts)) == {str}
            and all(texts)
            and type(roles) is list
            and set(map(type, roles)) <= {str}
            and type(quals) is list
            and type(issued) is int
            and type(until) is int
        ):
            raise TypeError("a claim has the wrong type")
        qualifications: list[Qualification] = []
        for name, day in quals:
            if type(name) is not str or not (day is None or type(day) is int):
                raise TypeError(f"qualification {name!r} has the wrong type")
            expires = None if day is None else date.fromordinal(_EPOCH_ORDINAL + day)
            qualifications.append(_assemble(Qualification, name=name, expires=expires))
        return _assemble(
            CredentialClaims,
            credential_id=texts[0],
            member_id=texts[1],
            name=texts[2],
            agency=texts[3],
            roles=tuple(roles),
            qualifications=tuple(qualifications),
            issued=datetime.fromtimestamp(issued, UTC),
            valid_until=datetime.fromtimestamp(until, UTC),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CredentialFormatError(
            f"the credential's content is not a wayhome credential ({type(exc).__name__}: {exc})"
        ) from None


def issue_credential(claims: CredentialClaims, key: SigningKey, *, compress: bool = False) -> str:
    """Sign ``claims`` with the agency's ``key``: the ``WH1:...`` text for the QR code.

    Parameters
    ----------
    claims : CredentialClaims
        What the credential says; its agency must be the key's agency.
    key : SigningKey
        The issuing agency's private key.
    compress : bool
        zlib-compress the COSE message when that makes it shorter. Off by default: it saves
        about 5 % on a typical credential, and the padding bits at the end of a deflate
        stream are not covered by anything, so a bit flipped there goes unnoticed (the
        content, which the signature covers, is unchanged). Uncompressed, every bit counts.

    Raises
    ------
    InvalidParameterError
        When the claims name another agency than the key's.
    """
    if _same_agency(claims.agency) != _same_agency(key.agency):
        raise InvalidParameterError(
            f"agency: the credential names {claims.agency!r} but the key is {key.agency!r}'s; "
            "sign with that agency's key"
        )
    message = _sign(_claims_payload(claims), key)
    if compress:
        packed = zlib.compress(message, 9)
        if len(packed) < len(message):
            message = packed
    return CREDENTIAL_PREFIX + base45_encode(message)


def _credential_message(text: str) -> bytes:
    """The COSE bytes inside a ``WH1:`` text (decompressed)."""
    text = text.strip()
    if text[: len(CREDENTIAL_PREFIX)].upper() != CREDENTIAL_PREFIX:
        raise CredentialFormatError(
            f"it does not start with {CREDENTIAL_PREFIX!r} (is it a wayhome credential?)"
        )
    if len(text) > _MAX_TEXT:
        raise CredentialFormatError(f"it is {len(text)} characters long, more than a QR code holds")
    data = base45_decode(text[len(CREDENTIAL_PREFIX) :])
    if data[:1] == b"\x78":  # a zlib stream; a COSE_Sign1 message starts 0xd2 or 0x84
        inflate = zlib.decompressobj()
        try:
            data = inflate.decompress(data, _MAX_PAYLOAD)
        except zlib.error as exc:
            raise CredentialFormatError(f"its compressed data is damaged ({exc})") from None
        if inflate.unconsumed_tail or not inflate.eof:
            raise CredentialFormatError("its compressed data is cut short or too large")
    return data


# --- trust and revocation lists ----------------------------------------------------------


def _same_agency(name: str) -> str:
    return " ".join(name.casefold().split())


def _version(value: int, name: str) -> int:
    if type(value) is not int or value < 1:
        raise InvalidParameterError(f"{name}: version {value!r} must be a whole number >= 1")
    return value


@dataclass(frozen=True, slots=True)
class TrustList:
    """The issuer keys an install trusts, from a list signed by the agencies' federation.

    ``issued`` is when the federation signed it (``None`` when built from the store).
    """

    version: int
    issued: datetime | None
    issuers: tuple[IssuerKey, ...]
    _verifiers: dict[str, Ed25519PublicKey] = field(init=False, repr=False, compare=False)
    _by_kid: dict[str, IssuerKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.version) is not int or self.version < 0:
            raise InvalidParameterError(f"version: {self.version!r} must be a whole number >= 0")
        if self.issued is not None:
            object.__setattr__(self, "issued", _utc(self.issued, "issued"))
        issuers = tuple(self.issuers)
        by_kid: dict[str, IssuerKey] = {}
        for issuer in issuers:
            if issuer.key_id in by_kid:
                raise InvalidParameterError(f"issuers: key {issuer.key_id} is listed twice")
            by_kid[issuer.key_id] = issuer
        object.__setattr__(self, "issuers", issuers)
        object.__setattr__(self, "_by_kid", by_kid)
        object.__setattr__(
            self,
            "_verifiers",
            {k: Ed25519PublicKey.from_public_bytes(i.public_key) for k, i in by_kid.items()},
        )

    def issuer(self, key_id: str) -> IssuerKey | None:
        """The trusted key with this id, or ``None``."""
        return self._by_kid.get(key_id)

    def keys_of(self, agency: str) -> tuple[IssuerKey, ...]:
        """The trusted keys of ``agency`` (case and spacing ignored)."""
        wanted = _same_agency(agency)
        return tuple(i for i in self.issuers if _same_agency(i.agency) == wanted)

    @classmethod
    def from_signed(
        cls,
        data: bytes,
        pinned_keys: Sequence[IssuerKey],
        *,
        held_version: int | None = None,
    ) -> TrustList:
        """Read a trust list signed with :func:`sign_trust_list` and check it.

        Parameters
        ----------
        data : bytes
            The signed list (COSE_Sign1).
        pinned_keys : sequence of IssuerKey
            The federation keys this install trusts to sign trust lists.
        held_version : int, optional
            The version already held: an older list is refused (a replay).

        Raises
        ------
        SignatureError
            When it is not signed by a pinned key, or the signature does not match.
        StaleListError
            When its version is lower than ``held_version``.
        CredentialFormatError
            When it is not a trust list at all.
        """
        if not pinned_keys:
            raise SignatureError(
                "trust list: no federation key is pinned; pin the federation's public key "
                "(the .pub file from the federation) to accept trust lists"
            )
        message = open_sign1(data, "the trust list")
        pinned = {k.key_id: k for k in pinned_keys}
        signer = pinned.get(message.kid)
        if signer is None:
            raise SignatureError(
                f"trust list: signed by key {message.kid}, which is not a pinned federation key "
                f"(pinned: {', '.join(sorted(pinned))}); get the list from your federation"
            )
        if not verify_sign1(Ed25519PublicKey.from_public_bytes(signer.public_key), message):
            raise SignatureError(
                "trust list: the signature does not match: the list was altered or damaged"
            )
        body = read_cbor(message.payload, "the trust list's content")
        try:
            if type(body) is not dict or body.get("type") != _TRUST_TYPE:
                raise TypeError(f"its type is not {_TRUST_TYPE!r}")
            version = _version(body["version"], "trust list")
            issued = datetime.fromtimestamp(body["issued"], UTC)
            issuers = []
            for entry in body["issuers"]:
                issuer = IssuerKey(entry["agency"], entry["key"])
                if entry["kid"] != issuer.key_id:
                    raise ValueError(f"key id {entry['kid']!r} does not match its key")
                issuers.append(issuer)
            trust = cls(version=version, issued=issued, issuers=tuple(issuers))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise CredentialFormatError(f"trust list: not a wayhome trust list ({exc})") from None
        if held_version is not None and version < held_version:
            raise StaleListError(
                f"trust list: version {version} is older than version {held_version} held here; "
                "get the federation's newest list"
            )
        return trust


def sign_trust_list(
    issuers: Iterable[IssuerKey], *, version: int, issued: datetime, key: SigningKey
) -> bytes:
    """The federation's signed trust list of ``issuers`` (COSE_Sign1 bytes).

    Examples
    --------
    >>> federation = generate_signing_key("Mountain SAR Federation")
    >>> agency = generate_signing_key("Ridgeline SAR")
    >>> data = sign_trust_list([agency.issuer], version=3,
    ...                        issued=datetime(2026, 1, 1, tzinfo=UTC), key=federation)
    >>> trust = TrustList.from_signed(data, [federation.issuer])
    >>> trust.version, [i.agency for i in trust.issuers]
    (3, ['Ridgeline SAR'])
    """
    listed = TrustList(
        version=_version(version, "trust list"), issued=issued, issuers=tuple(issuers)
    )
    payload = {
        "type": _TRUST_TYPE,
        "version": listed.version,
        "issued": int(_utc(issued, "issued").timestamp()),
        "issuers": [
            {"agency": i.agency, "kid": i.key_id, "key": i.public_key} for i in listed.issuers
        ],
    }
    return _sign(cbor2.dumps(payload), key)


@dataclass(frozen=True, slots=True)
class RevocationList:
    """The credentials one issuer key has revoked, as of ``issued`` (``version`` counts up)."""

    key_id: str
    version: int
    issued: datetime
    revoked: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", _version(self.version, "revocation list"))
        object.__setattr__(self, "issued", _utc(self.issued, "issued"))
        object.__setattr__(self, "revoked", frozenset(self.revoked))


@dataclass(frozen=True, slots=True)
class RevocationStatus:
    """The revocation lists an install holds, one per issuer key."""

    lists: Mapping[str, RevocationList]

    @classmethod
    def of(cls, lists: Iterable[RevocationList]) -> RevocationStatus:
        """Index ``lists`` by key id, keeping the newest version of each."""
        held: dict[str, RevocationList] = {}
        for rl in lists:
            if rl.key_id not in held or held[rl.key_id].version < rl.version:
                held[rl.key_id] = rl
        return cls(held)


def sign_revocation_list(
    revoked: Iterable[str], *, version: int, issued: datetime, key: SigningKey
) -> bytes:
    """The issuer's signed list of revoked credential ids (all of them, not just new ones).

    Examples
    --------
    >>> key = generate_signing_key("Ridgeline SAR")
    >>> data = sign_revocation_list(["C1"], version=2,
    ...                             issued=datetime(2026, 1, 1, tzinfo=UTC), key=key)
    >>> trust = TrustList(version=1, issued=None, issuers=(key.issuer,))
    >>> sorted(revocation_list_from_signed(data, trust).revoked)
    ['C1']
    """
    ids = sorted({_text(i, "revoked") for i in revoked})
    rl = RevocationList(key.key_id, version, issued, frozenset(ids))
    payload = {
        "type": _REVOCATION_TYPE,
        "kid": rl.key_id,
        "version": rl.version,
        "issued": int(rl.issued.timestamp()),
        "revoked": ids,
    }
    return _sign(cbor2.dumps(payload), key)


def revocation_list_from_signed(data: bytes, trust: TrustList) -> RevocationList:
    """Read a revocation list and check it was signed by the (trusted) key it is about.

    Raises
    ------
    SignatureError
        When its key is not in ``trust`` or the signature does not match.
    CredentialFormatError
        When it is not a revocation list.
    """
    message = open_sign1(data, "the revocation list")
    if trust.issuer(message.kid) is None:
        raise SignatureError(
            f"revocation list: signed by key {message.kid}, which is not in your trust list; "
            "load the trust list that holds it first"
        )
    if not verify_sign1(trust._verifiers[message.kid], message):
        raise SignatureError(
            "revocation list: the signature does not match: the list was altered or damaged"
        )
    body = read_cbor(message.payload, "the revocation list's content")
    try:
        if type(body) is not dict or body.get("type") != _REVOCATION_TYPE:
            raise TypeError(f"its type is not {_REVOCATION_TYPE!r}")
        if body["kid"] != message.kid:
            raise ValueError(f"it is about key {body['kid']!r} but signed by {message.kid}")
        ids = body["revoked"]
        if type(ids) is not list or not all(type(i) is str for i in ids):
            raise TypeError("revoked ids are not texts")
        return RevocationList(
            key_id=message.kid,
            version=body["version"],
            issued=datetime.fromtimestamp(body["issued"], UTC),
            revoked=frozenset(ids),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CredentialFormatError(
            f"revocation list: not a wayhome revocation list ({exc})"
        ) from None


# --- verification ------------------------------------------------------------------------


def describe_age(age: timedelta) -> str:
    """An age in words: ``"3 days"``, ``"5 hours"``, ``"less than an hour"``.

    Examples
    --------
    >>> describe_age(timedelta(days=3, hours=4)), describe_age(timedelta(hours=1))
    ('3 days', '1 hour')
    >>> describe_age(timedelta(minutes=20))
    'less than an hour'
    """
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


#: What :func:`verify_credential` found, one word (``Verification.reason`` says it in full).
VerificationCode = Literal[
    "valid",
    "malformed",
    "altered",
    "unknown_issuer",
    "untrusted_key",
    "wrong_agency",
    "revoked",
    "not_yet_valid",
    "expired",
]


@dataclass(frozen=True, slots=True)
class Verification:
    """The answer of :func:`verify_credential`.

    ``code`` is one of ``valid``, ``malformed``, ``altered``, ``unknown_issuer``,
    ``untrusted_key``, ``wrong_agency``, ``revoked``, ``not_yet_valid``, ``expired``;
    ``reason`` says it in plain words. ``claims`` is set only when the signature was
    checked (an expired or revoked credential still shows whose it is).
    ``expired_qualifications`` names qualifications past their expiry (the credential
    stays valid; those qualifications do not count).
    """

    valid: bool
    code: VerificationCode
    reason: str
    claims: CredentialClaims | None = None
    key_id: str | None = None
    issuer: str | None = None
    expired_qualifications: tuple[str, ...] = ()
    revocation_version: int | None = None
    revocation_age: timedelta | None = None
    revocation_note: str = "revocation not checked"


def _when(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%MZ}"


def _revocation(
    kid: str, issuer: IssuerKey, revocations: RevocationStatus | None, now: datetime
) -> tuple[RevocationList | None, timedelta | None, str]:
    rl = None if revocations is None else revocations.lists.get(kid)
    if rl is None:
        return None, None, f"revocation not checked: no revocation list from {issuer.agency} held"
    age = max(now - rl.issued, timedelta(0))
    return rl, age, f"revocation list {describe_age(age)} old (version {rl.version})"


def _unknown_key(kid: str, payload: bytes, trust: TrustList) -> Verification:
    try:  # the claimed agency, unverified: only to word the reason
        body = cbor2.loads(payload)
        claimed = body.get(_AGENCY) if type(body) is dict else None
    except Exception:  # unreadable content: the key id alone must do
        claimed = None
    claimed = claimed if type(claimed) is str and claimed.strip() else None
    known = trust.keys_of(claimed) if claimed else ()
    if known:
        reason = (
            f"signed by key {kid}, which is not in your trust list (it holds "
            f"{', '.join(k.key_id for k in known)} for {known[0].agency}): the credential may "
            f"be forged, or {known[0].agency} has a new key; update your trust list"
        )
        return Verification(False, "untrusted_key", reason, key_id=kid)
    named = f" of {claimed!r}" if claimed else ""
    reason = (
        f"signed by key {kid}{named}, which is not in your trust list: an unknown issuer; "
        "get a trust list that holds this agency, or do not accept the credential"
    )
    return Verification(False, "unknown_issuer", reason, key_id=kid)


def verify_credential(
    text: str,
    *,
    trust: TrustList,
    revocations: RevocationStatus | None,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> Verification:
    """Check a credential offline: signature, issuer, validity period, revocation.

    Parameters
    ----------
    text : str
        The ``WH1:...`` text (from the QR code).
    trust : TrustList
        The issuer keys this install trusts.
    revocations : RevocationStatus or None
        The revocation lists held; ``None`` (or none for this issuer) skips the check and
        the answer says so.
    now : datetime
        The time to check against (aware).
    leeway : timedelta
        How far this device's clock may lag the issuer's before "not yet valid".

    Returns
    -------
    Verification
        Never raises for a bad credential: ``valid`` is ``False`` and ``reason`` says why.
    """
    now = _utc(now, "now")
    try:
        message = open_sign1(_credential_message(text), "the credential")
    except CredentialFormatError as exc:
        reason = f"cannot read the credential: {exc}; scan it again or ask for a new one"
        return Verification(False, "malformed", reason)
    issuer = trust.issuer(message.kid)
    if issuer is None:
        return _unknown_key(message.kid, message.payload, trust)
    if not verify_sign1(trust._verifiers[message.kid], message):
        reason = "the signature does not match: the credential was altered or damaged"
        return Verification(False, "altered", reason, key_id=message.kid, issuer=issuer.agency)
    try:
        claims = _claims_from_payload(message.payload)
    except CredentialFormatError as exc:
        reason = f"signed by {issuer.agency}, but cannot be read: {exc}"
        return Verification(False, "malformed", reason, key_id=message.kid, issuer=issuer.agency)
    rl, age, note = _revocation(message.kid, issuer, revocations, now)
    today = now.date()
    stale = tuple(
        q.name for q in claims.qualifications if q.expires is not None and q.expires < today
    )
    code: VerificationCode = "valid"
    reason = ""
    if _same_agency(claims.agency) != _same_agency(issuer.agency):
        code = "wrong_agency"
        reason = (
            f"signed by key {message.kid} of {issuer.agency}, but it names agency "
            f"{claims.agency!r}: do not accept it"
        )
    elif rl is not None and claims.credential_id in rl.revoked:
        code = "revoked"
        reason = f"revoked by {issuer.agency}; {note}"
    elif now + leeway < claims.issued:
        code = "not_yet_valid"
        reason = f"not yet valid: issued for {_when(claims.issued)}; check this device's clock"
    elif now > claims.valid_until:
        code = "expired"
        reason = f"expired: it was valid until {_when(claims.valid_until)}"
    else:
        reason = f"valid: {claims.name} ({claims.member_id}), {issuer.agency}"
        if stale:
            expired = (q for q in claims.qualifications if q.name in stale)
            reason += "; expired qualification(s): " + ", ".join(
                f"{q.name} ({q.expires})" for q in expired
            )
        reason += f"; {note}"
    return Verification(
        valid=code == "valid",
        code=code,
        reason=reason,
        claims=claims,
        key_id=message.kid,
        issuer=issuer.agency,
        expired_qualifications=stale,
        revocation_version=None if rl is None else rl.version,
        revocation_age=age,
        revocation_note=note,
    )
