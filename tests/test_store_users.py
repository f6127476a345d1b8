"""Logins, access and refresh tokens in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_access_secrets import scrypt_hash
from wayhome.access.secrets import verify_secret
from wayhome.errors import InvalidParameterError, NotAuthenticatedError
from wayhome.store import (
    authenticate,
    create_user,
    issue_token,
    refresh_login,
    revoke_token,
    token_holder,
)
from wayhome.store.models import AccessToken, AppUser
from wayhome.store.users import DEFAULT_ACCESS_LIFETIME, DEFAULT_REFRESH_LIFETIME

NOW = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
WRONG = "login or password is wrong; check both and try again"


def _ann(session: Session) -> AppUser:
    return create_user(session, login="ann", name="Ann", password=PASSWORD, hash_profile="fast")


def _login(session: Session, now: datetime = NOW) -> tuple[str, str]:
    pair = authenticate(session, login="ann", password=PASSWORD, now=now, hash_profile="fast")[1]
    return pair.access_token, pair.refresh_token


def test_a_login_gives_a_short_access_token_and_a_shift_long_refresh_token(
    session: Session,
) -> None:
    ann = _ann(session)
    user, pair = authenticate(
        session, login=" ANN ", password=PASSWORD, now=NOW, hash_profile="fast"
    )
    assert user.id == ann.id
    assert (
        timedelta(minutes=15),
        timedelta(hours=12),
    ) == (DEFAULT_ACCESS_LIFETIME, DEFAULT_REFRESH_LIFETIME)
    assert pair.access_expires_at == NOW + DEFAULT_ACCESS_LIFETIME
    assert pair.refresh_expires_at == NOW + DEFAULT_REFRESH_LIFETIME
    assert token_holder(session, pair.access_token, now=NOW)[0].id == ann.id
    kinds = {t.kind for t in session.scalars(select(AccessToken))}
    assert kinds == {"access", "refresh"}
    # Neither token is stored, only its digest.
    hashes = {t.token_hash for t in session.scalars(select(AccessToken))}
    assert not {pair.access_token, pair.refresh_token} & hashes


def test_an_access_token_expires_and_a_refresh_token_is_no_access_token(
    session: Session,
) -> None:
    _ann(session)
    access, refresh = _login(session)
    later = NOW + DEFAULT_ACCESS_LIFETIME
    with pytest.raises(NotAuthenticatedError, match="token: expired"):
        token_holder(session, access, now=later)
    with pytest.raises(NotAuthenticatedError, match="refresh token is not an access token"):
        token_holder(session, refresh, now=NOW)


def test_unknown_login_token_only_user_and_wrong_password_look_the_same(
    session: Session,
) -> None:
    _ann(session)
    create_user(session, login="phone", name="Phone")  # token-only: no password
    for login, password in (("nobody", PASSWORD), ("phone", ""), ("ann", "not-her-password")):
        with pytest.raises(NotAuthenticatedError) as caught:
            authenticate(session, login=login, password=password, now=NOW, hash_profile="fast")
        assert str(caught.value) == WRONG
    assert session.scalars(select(AccessToken)).all() == []


def test_an_old_scrypt_hash_logs_in_once_and_is_replaced_by_argon2(session: Session) -> None:
    ann = _ann(session)
    ann.password_hash = scrypt_hash(PASSWORD)
    session.commit()
    _login(session)
    session.refresh(ann)
    assert ann.password_hash.startswith("$argon2id$")
    assert verify_secret(PASSWORD, ann.password_hash)
    _login(session)  # and the new hash works
    # A wrong password changes nothing.
    ann.password_hash = old = scrypt_hash(PASSWORD)
    session.commit()
    with pytest.raises(NotAuthenticatedError):
        authenticate(session, login="ann", password="nope-nope", now=NOW, hash_profile="fast")
    session.refresh(ann)
    assert ann.password_hash == old


def test_a_refresh_rotates_and_the_old_refresh_token_dies(session: Session) -> None:
    _ann(session)
    access, refresh = _login(session)
    later = NOW + timedelta(minutes=14)
    user, pair = refresh_login(session, refresh, now=later)
    assert user.login == "ann"
    assert pair.access_expires_at == later + DEFAULT_ACCESS_LIFETIME
    assert token_holder(session, pair.access_token, now=later)[0].login == "ann"
    assert token_holder(session, access, now=later)  # the old access token lives out its time
    assert pair.refresh_token != refresh
    # The new refresh token works in turn.
    pair2 = refresh_login(session, pair.refresh_token, now=later)[1]
    assert token_holder(session, pair2.access_token, now=later)


def test_a_reused_refresh_token_revokes_that_login_only(session: Session) -> None:
    ann = _ann(session)
    access, refresh = _login(session)
    other_access, other_refresh = _login(session)  # Ann's second device, its own login
    device = issue_token(session, user_id=ann.id, now=NOW)
    thief = refresh_login(session, refresh, now=NOW)[1]  # the thief refreshes first
    with pytest.raises(NotAuthenticatedError, match="already used"):
        refresh_login(session, refresh, now=NOW)  # the owner's turn: reuse
    for token in (access, thief.access_token):
        with pytest.raises(NotAuthenticatedError, match="unknown or revoked"):
            token_holder(session, token, now=NOW)
    with pytest.raises(NotAuthenticatedError, match="already used"):
        refresh_login(session, thief.refresh_token, now=NOW)
    # Ann's other login and her device token carry on.
    for token in (other_access, device):
        assert token_holder(session, token, now=NOW)[0].login == "ann"
    assert refresh_login(session, other_refresh, now=NOW)[0].login == "ann"
    _login(session)  # logging in again works


def test_a_reused_refresh_token_outside_a_login_revokes_every_token_of_the_user(
    session: Session,
) -> None:
    ann = _ann(session)
    device = issue_token(session, user_id=ann.id, now=NOW)
    loose = issue_token(session, user_id=ann.id, now=NOW, kind="refresh")  # no login chain
    refresh_login(session, loose, now=NOW)
    with pytest.raises(NotAuthenticatedError, match="already used"):
        refresh_login(session, loose, now=NOW)
    with pytest.raises(NotAuthenticatedError, match="unknown or revoked"):
        token_holder(session, device, now=NOW)


def test_expired_unknown_and_access_tokens_buy_nothing(session: Session) -> None:
    _ann(session)
    access, refresh = _login(session)
    with pytest.raises(NotAuthenticatedError, match="refresh_token: expired"):
        refresh_login(session, refresh, now=NOW + DEFAULT_REFRESH_LIFETIME)
    for token in (access, "not-a-token"):
        with pytest.raises(NotAuthenticatedError, match="refresh_token: unknown"):
            refresh_login(session, token, now=NOW)
    assert token_holder(session, access, now=NOW)  # a failed refresh revokes nothing


def test_logging_out_forgets_the_refresh_token_without_punishing_other_logins(
    session: Session,
) -> None:
    _ann(session)
    access, refresh = _login(session)
    other_access, _ = _login(session)  # Ann on a second device
    revoke_token(session, access, now=NOW)
    revoke_token(session, refresh, now=NOW)
    revoke_token(session, "never-issued", now=NOW)
    with pytest.raises(NotAuthenticatedError, match="unknown or revoked"):
        token_holder(session, access, now=NOW)
    with pytest.raises(NotAuthenticatedError, match="refresh_token: unknown"):
        refresh_login(session, refresh, now=NOW)
    assert token_holder(session, other_access, now=NOW)[0].login == "ann"


def test_issue_token_refuses_an_unknown_kind(session: Session) -> None:
    ann = _ann(session)
    with pytest.raises(InvalidParameterError, match="kind: 'forever'"):
        issue_token(session, user_id=ann.id, now=NOW, kind="forever")
    refresh = issue_token(session, user_id=ann.id, now=NOW, kind="refresh")
    assert refresh_login(session, refresh, now=NOW)[0].id == ann.id
