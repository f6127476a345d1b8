"""Who may do what: roles and permissions in an incident, and the secrets behind logins.

Pure values and functions; the users, tokens and role grants themselves are stored by
:mod:`wayhome.store.users`, and the API checks them per route.
"""

from __future__ import annotations

from wayhome.access.roles import ROLES, Permission, Role, permissions_of
from wayhome.access.secrets import (
    hash_secret,
    new_secret,
    new_token,
    token_digest,
    verify_secret,
)

__all__ = [
    "ROLES",
    "Permission",
    "Role",
    "hash_secret",
    "new_secret",
    "new_token",
    "permissions_of",
    "token_digest",
    "verify_secret",
]
