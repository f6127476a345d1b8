"""Passwords, handover codes and bearer tokens: how they are made, hashed and checked.

Passwords and handover codes are hashed with scrypt (standard library, memory-hard) and a
random salt; tokens are long random strings, so a fast SHA-256 is enough to store them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_secret", "new_secret", "new_token", "token_digest", "verify_secret"]

#: scrypt cost (2**14, 8, 1: the interactive-login parameters of RFC 7914 §2).
_N, _R, _P = 2**14, 8, 1
#: Letters and digits that cannot be misread when spoken or written by hand.
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def hash_secret(secret: str) -> str:
    """A salted scrypt hash of ``secret``: ``scrypt$n$r$p$salt$digest`` (hex).

    Examples
    --------
    >>> h = hash_secret("correct horse")
    >>> verify_secret("correct horse", h), verify_secret("wrong", h)
    (True, False)
    """
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the hash ``stored`` (constant time; ``False`` if malformed)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
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
