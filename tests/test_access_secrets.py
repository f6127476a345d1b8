"""Password and handover-code hashes: Argon2id, its profiles, and the scrypt hashes before it."""

from __future__ import annotations

import hashlib
import inspect

import pytest
from argon2 import Type, extract_parameters

from wayhome.access.secrets import hash_secret, needs_rehash, verify_secret
from wayhome.errors import InvalidParameterError


def scrypt_hash(secret: str, salt: bytes = b"0123456789abcdef") -> str:
    """A hash as the server made them before Argon2 (``scrypt$n$r$p$salt$digest``)."""
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"


def test_the_default_is_the_strong_rfc_9106_profile() -> None:
    stored = hash_secret("correct horse battery")
    params = extract_parameters(stored)
    # RFC 9106 §4, second recommended option: Argon2id, 64 MiB, 3 passes, 4 lanes.
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        Type.ID,
        64 * 1024,
        3,
        4,
    )
    assert verify_secret("correct horse battery", stored)
    assert not verify_secret("correct horse batterY", stored)
    assert not needs_rehash(stored)


def test_servers_and_the_store_use_the_strong_profile_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wayhome.api import WayhomeSettings
    from wayhome.store import authenticate, create_user, ensure_admin

    monkeypatch.delenv(
        "WAYHOME_PASSWORD_HASH_PROFILE", raising=False
    )  # conftest sets "fast" for tests
    assert WayhomeSettings().password_hash_profile == "strong"
    for function in (create_user, ensure_admin, authenticate):
        assert inspect.signature(function).parameters["hash_profile"].default == "strong"
    monkeypatch.setenv("WAYHOME_PASSWORD_HASH_PROFILE", "fast")
    assert WayhomeSettings().password_hash_profile == "fast"


def test_the_fast_profile_is_for_tests_and_a_server_replaces_its_hashes() -> None:
    fast = hash_secret("correct horse battery", profile="fast")
    assert extract_parameters(fast).memory_cost < 64 * 1024
    assert verify_secret("correct horse battery", fast)
    assert not verify_secret("wrong", fast)
    assert needs_rehash(fast) and not needs_rehash(fast, profile="fast")
    assert needs_rehash(hash_secret("x"), profile="fast")


def test_scrypt_hashes_from_before_still_verify_and_are_to_be_replaced() -> None:
    old = scrypt_hash("correct horse battery")
    assert verify_secret("correct horse battery", old)
    assert not verify_secret("correct horse batter", old)
    assert needs_rehash(old) and needs_rehash(old, profile="fast")


@pytest.mark.parametrize(
    "stored",
    ["", "plain text", "scrypt$1$2", "scrypt$16384$8$1$zz$00", "$argon2id$v=19$m=1,t=1,p=1$x$y"],
)
def test_a_malformed_hash_never_verifies(stored: str) -> None:
    assert not verify_secret("anything", stored)
    assert needs_rehash(stored)


def test_an_unknown_profile_is_refused_naming_the_choices() -> None:
    with pytest.raises(InvalidParameterError, match=r"profile: 'cheap' .* strong, fast"):
        hash_secret("x", profile="cheap")  # type: ignore[arg-type]


def test_each_hash_has_its_own_salt() -> None:
    assert hash_secret("same", profile="fast") != hash_secret("same", profile="fast")
