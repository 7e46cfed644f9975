"""A verified token becomes a ``Principal``: the person is remembered (``service.people``) and cached.

A token once verified is kept (by its SHA-256) until it expires or ``CSHUB_API_KEY_CACHE_SECONDS`` pass,
whichever comes first, so a front-end's requests cost neither a signature check nor a write each time.
"""

import hashlib
import time

from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys.cache import KeyCache
from service.api_keys.service import Principal
from service.oidc.jwks import KeySet
from service.oidc.tokens import Identity, TokenRules, verify
from service.people.queries import remember_person
from service.people.record import Person
from service.settings import Settings


class TokenAuthority:
    """The issuer cshub trusts (one per app): its keys, its rules, the tokens verified lately."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer is not None
        assert settings.oidc_audience is not None
        self.keys = KeySet(settings.oidc_issuer, settings.oidc_jwks_url, settings.oidc_jwks_cache_seconds)
        self.rules = TokenRules(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            role_claim=settings.oidc_role_claim,
            roles=dict(settings.oidc_roles),
            person_claim=settings.oidc_person_claim,
            email_claim=settings.oidc_email_claim,
            name_claim=settings.oidc_name_claim,
            leeway_seconds=settings.oidc_leeway_seconds,
        )
        self.cache_seconds = settings.api_key_cache_seconds
        self.verified: KeyCache[Principal] = KeyCache()

    @classmethod
    def of(cls, settings: Settings) -> "TokenAuthority | None":
        return cls(settings) if settings.oidc_issuer is not None else None

    def cached(self, token: str) -> Principal | None:
        return self.verified.get(_digest(token))

    async def verify(self, token: str) -> Identity:
        """Check the token (signature, issuer, audience, times); no database work."""
        return await verify(token, self.keys, self.rules)

    async def principal(self, conn: AsyncConnection, token: str, identity: Identity) -> Principal:
        """The person the verified token names, remembered on ``conn`` (the caller's transaction)."""
        person_id = await remember_person(
            conn,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            display_name=identity.display_name,
            role=identity.role.value,
        )
        person = Person(person_id, identity.issuer, identity.subject, identity.email, identity.display_name)
        principal = Principal(key_id=None, name=person.label, role=identity.role, person=person)
        seconds = min(self.cache_seconds, identity.expires_at - time.time())
        self.verified.put(_digest(token), person_id, principal, seconds)
        return principal


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
