"""The wire format of signed documents: COSE_Sign1 with EdDSA, and base45 for QR codes.

A credential, a trust list and a revocation list are each one COSE_Sign1 message
(RFC 9052 §4.2): a CBOR array of the protected header ``{1: -8 (EdDSA), 4: key id}``, an
empty unprotected header, the payload and the Ed25519 signature over the
``Sig_structure`` ``["Signature1", protected, b"", payload]``. Credentials travel as QR
codes, whose alphanumeric mode packs base45 text (RFC 9285) densely.

Examples
--------
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> message = sign1(b"hello", private_key=key, kid="demo-1")
>>> opened = open_sign1(message, "the message")
>>> opened.kid, opened.payload, verify_sign1(key.public_key(), opened)
('demo-1', b'hello', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cbor2
import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wayhome.errors import UsageError

__all__ = [
    "CredentialFormatError",
    "Sign1",
    "base45_decode",
    "base45_encode",
    "open_sign1",
    "read_cbor",
    "sign1",
    "verify_sign1",
]

#: COSE: header labels and the EdDSA algorithm (RFC 9052 §3.1, RFC 9053 §2.2).
_ALG, _KID, _EDDSA, _SIGN1_TAG = 1, 4, -8, 18
#: Protected headers seen, and the key id each names (a handful of issuers in practice).
_HEADERS: dict[bytes, str] = {}
_MAX_HEADERS = 1024

#: The types cbor2 decodes a map to: dict, and inside a tag an immutable one (cbor2 >= 6).
_MAPS = (dict, type(cbor2.loads(b"\xd2\x81\xa0").value[0]))

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUES = bytes(_B45.index(chr(c)) if chr(c) in _B45 else 255 for c in range(256))
_B45_WEIGHTS = np.array([1, 45, 45 * 45], dtype=np.uint32)


class CredentialFormatError(UsageError):
    """Bytes or text that are not a wayhome credential, trust list or revocation list."""


# --- base45 (RFC 9285) -------------------------------------------------------------------


def base45_encode(data: bytes) -> str:
    """``data`` in base45 (RFC 9285): QR alphanumeric characters, 3 per 2 bytes.

    Examples
    --------
    >>> base45_encode(b"AB"), base45_encode(b"Hello!!"), base45_encode(b"base-45")
    ('BB8', '%69 VD92EX0', 'UJCLQE7W581')
    """
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        rest, c = divmod(data[i] * 256 + data[i + 1], 45)
        e, d = divmod(rest, 45)
        out.append(_B45[c] + _B45[d] + _B45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(_B45[c] + _B45[d])
    return "".join(out)


def base45_decode(text: str) -> bytes:
    """The bytes that ``text`` encodes in base45 (RFC 9285).

    Raises
    ------
    CredentialFormatError
        For a character outside the base45 alphabet, a group that encodes more than two
        bytes, or a length that leaves one character over.

    Examples
    --------
    >>> base45_decode("QED8WEX0")
    b'ietf!'
    >>> base45_decode("GGW")
    Traceback (most recent call last):
    ...
    wayhome.access.cose.CredentialFormatError: base45: 'GGW' encodes more than two bytes
    """
    try:
        values = text.encode("ascii").translate(_B45_VALUES)
    except UnicodeEncodeError:
        values = b"\xff"
    if b"\xff" in values:
        bad = next(c for c in text if c not in _B45)
        raise CredentialFormatError(f"base45: {bad!r} is not a base45 character")
    whole = len(values) // 3 * 3
    # Each group of three values is one little-endian base-45 number of two bytes.
    groups = np.frombuffer(values, dtype=np.uint8, count=whole).reshape(-1, 3) @ _B45_WEIGHTS
    # Only a group whose last value is 32 or more can pass 0xFFFF (31 * 2025 + 2024 cannot):
    # a C-speed max over those bytes spares the array reduction for nearly every text.
    if whole and max(values[2:whole:3]) >= 32 and int(groups.max()) > 0xFFFF:
        i = 3 * int(np.argmax(groups > 0xFFFF))
        raise CredentialFormatError(f"base45: {text[i : i + 3]!r} encodes more than two bytes")
    out = groups.astype(">u2").tobytes()
    left = len(values) - whole
    if left == 2:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise CredentialFormatError(f"base45: {text[-2:]!r} encodes more than one byte")
        out += bytes((last,))
    elif left == 1:
        raise CredentialFormatError("base45: one character too many or too few (cut short?)")
    return out


# --- COSE_Sign1 (RFC 9052) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sign1:
    """An opened COSE_Sign1 message: its key id, payload and what the signature covers."""

    kid: str
    payload: bytes
    signature: bytes
    to_be_signed: bytes


def read_cbor(data: bytes, what: str) -> Any:
    """Decode untrusted CBOR; any failure is a :class:`CredentialFormatError` naming ``what``."""
    try:
        return cbor2.loads(data)
    except Exception as exc:  # untrusted bytes: any decoder failure means "unreadable"
        raise CredentialFormatError(f"{what} is not valid CBOR ({exc})") from None


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign1(payload: bytes, *, private_key: Ed25519PrivateKey, kid: str) -> bytes:
    """A tagged COSE_Sign1 message of ``payload`` signed with ``private_key`` (EdDSA)."""
    protected = cbor2.dumps({_ALG: _EDDSA, _KID: kid.encode("utf-8")})
    signature = private_key.sign(_to_be_signed(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(_SIGN1_TAG, [protected, {}, payload, signature]))


def _header_kid(protected: bytes, what: str) -> str:
    kid = _HEADERS.get(protected)
    if kid is not None:
        return kid
    header = read_cbor(protected, f"{what}'s header") if protected else {}
    if type(header) is not dict or header.get(_ALG) != _EDDSA:
        alg = header.get(_ALG) if type(header) is dict else None
        raise CredentialFormatError(f"{what} is signed with algorithm {alg!r}, not EdDSA (-8)")
    raw = header.get(_KID)
    if type(raw) is not bytes or not raw:
        raise CredentialFormatError(f"{what} names no key id")
    # Printable only: a damaged key id is shown in messages, never a control character.
    kid = "".join(c if c.isprintable() else "?" for c in raw.decode("utf-8", "replace"))
    if len(_HEADERS) >= _MAX_HEADERS:
        _HEADERS.clear()
    _HEADERS[protected] = kid
    return kid


def open_sign1(data: bytes, what: str) -> Sign1:
    """Read a COSE_Sign1 message (tagged or not) without checking its signature.

    Raises
    ------
    CredentialFormatError
        When ``data`` is not a COSE_Sign1 message signed with EdDSA and naming a key id.
    """
    message = read_cbor(data, what)
    if type(message) is cbor2.CBORTag and message.tag == _SIGN1_TAG:
        message = message.value
    if not (
        type(message) in (list, tuple)
        and len(message) == 4
        and type(message[0]) is bytes
        and type(message[1]) in _MAPS
        and not message[1]  # nothing unsigned: a changed bit anywhere must fail
        and type(message[2]) is bytes
        and type(message[3]) is bytes
    ):
        raise CredentialFormatError(
            f"{what} is not a COSE_Sign1 message (with an empty unprotected header)"
        )
    protected, _, payload, signature = message
    kid = _header_kid(protected, what)
    return Sign1(kid, payload, signature, _to_be_signed(protected, payload))


def verify_sign1(public_key: Ed25519PublicKey, message: Sign1) -> bool:
    """Whether ``message``'s signature is ``public_key``'s over its protected content."""
    try:
        public_key.verify(message.signature, message.to_be_signed)
    except InvalidSignature:
        return False
    return True
