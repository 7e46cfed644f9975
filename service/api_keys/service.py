"""API key use cases: create, authenticate, list, revoke. Callers own the transaction."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys import queries
from service.api_keys.cache import KeyCache
from service.api_keys.key_secrets import display_prefix, hash_secret, new_secret
from service.api_keys.queries import ApiKeyRow
from service.api_keys.roles import Role
from service.errors import InvalidInput, NotFound

MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the authenticated key's id, name and role."""

    key_id: uuid.UUID
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How writes record who made them: the key's name and id (names need not be unique)."""
        return f"{self.name} ({self.key_id})"


# One per process (its workers each have their own): revocation in this process must reach the very cache
# the requests read, whichever app or command did it.
VALID_KEYS: KeyCache[Principal] = KeyCache()


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKeyRow
    secret: str  # shown once, never stored


async def create_key(conn: AsyncConnection, *, role: Role, name: str) -> CreatedKey:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"a key name must have 1 to {MAX_NAME_LENGTH} characters")
    secret = new_secret()
    row = await queries.insert_key(
        conn, name=name, role=role, key_prefix=display_prefix(secret), key_hash=hash_secret(secret)
    )
    return CreatedKey(key=row, secret=secret)


def cached_principal(secret: str) -> Principal | None:
    """The principal of a valid key this process looked up within the cache time, without asking PostgreSQL."""
    return VALID_KEYS.get(hash_secret(secret))


async def authenticate(conn: AsyncConnection, secret: str, *, cache_seconds: float = 0) -> Principal | None:
    """The principal for a presented secret, or None when it is unknown or revoked; a valid key is remembered
    for ``cache_seconds`` (``cached_principal``)."""
    key_hash = hash_secret(secret)
    if cache_seconds > 0 and (cached := VALID_KEYS.get(key_hash)) is not None:
        return cached
    row = await queries.find_active_by_hash(conn, key_hash)
    if row is None:
        return None
    await queries.touch_last_used(conn, row.id)
    principal = Principal(key_id=row.id, name=row.name, role=row.role)
    VALID_KEYS.put(key_hash, row.id, principal, cache_seconds)
    return principal


async def list_keys(conn: AsyncConnection) -> list[ApiKeyRow]:
    return await queries.list_keys(conn)


async def revoke_key(conn: AsyncConnection, key_id: str) -> ApiKeyRow:
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        raise InvalidInput(f"{key_id!r} is not a key id; `cshub keys list` shows them") from None
    row = await queries.revoke_key(conn, parsed)
    VALID_KEYS.forget(parsed)  # at once, even before the caller commits: a cache miss only costs a lookup
    if row is None:
        raise NotFound(f"no API key with id {key_id}; `cshub keys list` shows them")
    return row
