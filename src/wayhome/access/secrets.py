"""Passwords, handover codes and bearer tokens: how they are made, hashed and checked.

Passwords and handover codes are hashed with Argon2id (RFC 9106) and a random salt; hashes
made before it, with scrypt, still verify and :func:`needs_rehash` says to replace them.
Tokens are long random strings, so a fast SHA-256 is enough to store them.

Two cost profiles: ``"strong"``, RFC 9106's second recommended option (64 MiB, 3 passes,
4 lanes; about 0.1 s on a laptop), is the default and what a server uses; ``"fast"``
(1 MiB, 1 pass) exists only so test suites that make hundreds of users run quickly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from typing import Literal, get_args

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from wayhome.errors import InvalidParameterError

__all__ = [
    "HashProfile",
    "hash_secret",
    "needs_rehash",
    "new_secret",
    "new_token",
    "token_digest",
    "verify_secret",
]

#: ``"strong"`` (servers; the default) or ``"fast"`` (test suites only).
HashProfile = Literal["strong", "fast"]

#: Letters and digits that cannot be misread when spoken or written by hand.
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


@cache
def _hasher(profile: HashProfile) -> PasswordHasher:
    """The Argon2id hasher of ``profile``."""
    if profile == "strong":
        return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    choices = ", ".join(get_args(HashProfile))
    raise InvalidParameterError(f"profile: {profile!r} is not a hash profile; use one of {choices}")


def hash_secret(secret: str, *, profile: HashProfile = "strong") -> str:
    """A salted Argon2id hash of ``secret`` (PHC string: ``$argon2id$v=19$m=...``).

    Examples
    --------
    >>> h = hash_secret("correct horse", profile="fast")
    >>> h.startswith("$argon2id$"), verify_secret("correct horse", h), verify_secret("no", h)
    (True, True, False)
    """
    return _hasher(profile).hash(secret)


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the hash ``stored`` (``False`` if malformed).

    Argon2id hashes of either profile, and the scrypt hashes made before them
    (``scrypt$n$r$p$salt$digest``), both verify.
    """
    if stored.startswith("scrypt$"):
        return _verify_scrypt(secret, stored)
    try:
        return _hasher("strong").verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, *, profile: HashProfile = "strong") -> bool:
    """Whether ``stored`` should be replaced by a new hash of ``profile`` (after a login).

    True for scrypt hashes and Argon2 hashes made with other parameters.

    Examples
    --------
    >>> needs_rehash(hash_secret("x", profile="fast")), needs_rehash("scrypt$...")
    (True, True)
    """
    try:
        return _hasher(profile).check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_scrypt(secret: str, stored: str) -> bool:
    """Check a scrypt hash made before Argon2 (constant time; ``False`` if malformed)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def new_token() -> str:
    """A new bearer token (43 URL-safe characters, 256 random bits)."""
    return secrets.token_urlsafe(32)


def new_secret(length: int = 8) -> str:
    """A short random code that reads aloud well (e.g. a handover code or a password).

    Examples
    --------
    >>> len(new_secret()), set(new_secret(12)) <= set("abcdefghjkmnpqrstuvwxyz23456789")
    (8, True)
    """
    return "".join(secrets.choice(_READABLE) for _ in range(length))


def token_digest(token: str) -> str:
    """SHA-256 of ``token`` in hex: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()
