"""The issuer's signing keys, fetched over HTTPS and kept; a token with an unknown ``kid`` fetches them again.

The address is ``CSHUB_OIDC_JWKS_URL``, or the ``jwks_uri`` of ``{issuer}/.well-known/openid-configuration``.
Keys are kept ``CSHUB_OIDC_JWKS_CACHE_SECONDS``; an unknown ``kid`` (the issuer rotated its keys) refetches at
once, but at most once a second, so tokens with made-up key ids cannot turn cshub into a fetching loop.
Concurrent requests share one fetch.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from service.errors import IdentityProviderUnavailable

FETCH_TIMEOUT_SECONDS = 5.0
REFETCH_AT_MOST_EVERY_SECONDS = 1.0


class UnknownSigningKey(LookupError):
    pass


class KeySet:
    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.jwks_url = jwks_url
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The key a token's header names (a set of one key serves a token without ``kid``)."""
        if self._stale():
            await self._refresh(self._fetched_at)
        key = self._find(kid)
        if key is None and self._may_refetch():
            await self._refresh(self._fetched_at)
            key = self._find(kid)
        if key is None:
            raise UnknownSigningKey(kid)
        return key

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= self.cache_seconds

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= REFETCH_AT_MOST_EVERY_SECONDS

    async def _refresh(self, seen: float | None) -> None:
        async with self._lock:
            if self._fetched_at != seen:
                return  # another request fetched them meanwhile
            document = await self._fetch_jwks()
            keys: dict[str | None, jwt.PyJWK] = {}
            for entry in document.get("keys", []):
                if entry.get("use", "sig") != "sig":
                    continue
                try:
                    key = jwt.PyJWK(entry)
                except (jwt.PyJWKError, jwt.InvalidKeyError):
                    continue  # a key type or curve cshub does not verify with: tokens naming it are refused
                keys[entry.get("kid")] = key
            self._keys = keys
            self._fetched_at = self.clock()

    async def _fetch_jwks(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client:
            url = self.jwks_url or await self._discover(client)
            return await _get_json(client, url, "the issuer's signing keys (JWKS)")

    async def _discover(self, client: httpx.AsyncClient) -> str:
        configuration = await _get_json(
            client, f"{self.issuer}/.well-known/openid-configuration", "the issuer's OpenID configuration"
        )
        jwks_uri = configuration.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise IdentityProviderUnavailable(
                f"the OpenID configuration of {self.issuer} names no jwks_uri; set CSHUB_OIDC_JWKS_URL"
            )
        return jwks_uri


async def _get_json(client: httpx.AsyncClient, url: str, what: str) -> dict[str, Any]:
    try:
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise IdentityProviderUnavailable(
            f"cannot read {what} at {url}: {exc}; tokens cannot be verified until it answers"
        ) from None
    if not isinstance(document, dict):
        raise IdentityProviderUnavailable(f"{what} at {url} is not a JSON object")
    return document
