"""API key use cases: create, authenticate, list, revoke. Callers own the transaction.

An ingest key may be bound to sources (``cshub keys create --role ingest --source zendesk``): it then ingests
only batches from those sources and reads only their records (the unmatched queue). A key made without
``--source`` is unbound: every source, as before bindings existed. Only ingest keys can be bound.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys import queries
from service.api_keys.cache import KeyCache
from service.api_keys.key_secrets import display_prefix, hash_secret, new_secret
from service.api_keys.queries import ApiKeyRow
from service.api_keys.roles import Role
from service.errors import InvalidInput, NotFound, PermissionDenied
from service.people.record import Person

MAX_NAME_LENGTH = 200
MAX_SOURCE_LENGTH = 100  # as long as a batch's `source` may be


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key (id, name, role, the sources it is bound to — None: all), or a person with a
    bearer token (``person``; ``key_id`` is None and ``name`` is how they are named)."""

    key_id: uuid.UUID | None
    name: str
    role: Role
    sources: frozenset[str] | None = None
    person: Person | None = None

    def require_source(self, source: str, doing: str) -> None:
        """Refuse (FORBIDDEN) ``doing`` for ``source`` when this key is bound to other sources."""
        if self.sources is not None and source not in self.sources:
            raise PermissionDenied(
                f"this API key is bound to the source(s) {', '.join(sorted(self.sources))}; it may not {doing} "
                f"source {source!r}"
            )

    @property
    def caller_id(self) -> uuid.UUID:
        """The key's id, or the person's: what rate limits and ownership count by."""
        if self.person is not None:
            return self.person.id
        assert self.key_id is not None, "a principal is a key or a person"
        return self.key_id

    @property
    def actor(self) -> str:
        """How writes record who made them: the key's (or person's) name and id (names need not be unique)."""
        return f"{self.name} ({self.caller_id})"


# One per process (its workers each have their own): revocation in this process must reach the very cache
# the requests read, whichever app or command did it.
VALID_KEYS: KeyCache[Principal] = KeyCache()


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKeyRow
    secret: str  # shown once, never stored


async def create_key(conn: AsyncConnection, *, role: Role, name: str, sources: Sequence[str] = ()) -> CreatedKey:
    """A new key; ``sources`` binds an ingest key to those sources (none: unbound, every source)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"a key name must have 1 to {MAX_NAME_LENGTH} characters")
    bound = _sources(role, sources)
    secret = new_secret()
    row = await queries.insert_key(
        conn, name=name, role=role, key_prefix=display_prefix(secret), key_hash=hash_secret(secret), sources=bound
    )
    return CreatedKey(key=row, secret=secret)


def _sources(role: Role, sources: Sequence[str]) -> tuple[str, ...] | None:
    if not sources:
        return None
    if role != Role.INGEST:
        raise InvalidInput(f"only ingest keys can be bound to sources; a {role.value} key reads and writes them all")
    cleaned = sorted({source.strip() for source in sources})
    if any(not source or len(source) > MAX_SOURCE_LENGTH for source in cleaned):
        raise InvalidInput(f"a source name must have 1 to {MAX_SOURCE_LENGTH} characters")
    return tuple(cleaned)


def principal_of(row: ApiKeyRow) -> Principal:
    sources = None if row.sources is None else frozenset(row.sources)
    return Principal(key_id=row.id, name=row.name, role=row.role, sources=sources)


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
    principal = principal_of(row)
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
