"""The SSRF guard: a webhook URL must name a public host, unless a setting allows loopback or private networks.

Checked when an endpoint is created or its URL changed (the refusal names the address), and again at every
attempt, where it cannot be outrun (DNS rebinding: a name answering a public address to the check and a private
one to the connection). The delivery client connects through ``GuardedBackend``: the name is resolved once, every
address it resolves to is checked, and the socket goes to a checked address. The request keeps the name: the URL,
the ``Host`` header, TLS SNI and the certificate check are the name's. Redirects are never followed.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from service.errors import InvalidInput

MAX_URL_LENGTH = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    allow_loopback: bool = False
    allow_private_networks: bool = False


def checked_url(url: str) -> tuple[str, str, int]:
    """The URL stripped, its host and port; refused with what is wrong with it."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url: give an http(s) URL of 1 to {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"url: not a valid URL ({exc})", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url: must start with https:// (or http://)", field="url")
    if not parts.hostname:
        raise InvalidInput("url: names no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("url: must not carry credentials; the receiver verifies the signature instead", field="url")
    if parts.fragment:
        raise InvalidInput("url: must not have a #fragment", field="url")
    return url, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refusal(address: Address, policy: AddressPolicy) -> str | None:
    """Why ``address`` may not be called under ``policy``, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if policy.allow_loopback else "a loopback address"
    if address.is_unspecified or address.is_multicast:
        return "an unspecified or multicast address"
    if address.is_link_local:
        return None if policy.allow_private_networks else "a link-local address"
    if address.is_private or address.is_reserved or not address.is_global:
        return None if policy.allow_private_networks else "a private or reserved address"
    return None


async def resolve(host: str, port: int) -> list[Address]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"url: the host {host!r} does not resolve ({exc})", field="url") from None
    return [ipaddress.ip_address(info[4][0]) for info in found]


Resolver = Callable[[str, int], Awaitable[list[Address]]]


async def allowed_addresses(host: str, port: int, policy: AddressPolicy, resolver: Resolver = resolve) -> list[Address]:
    """What ``host`` resolves to, once every address is allowed; refused naming the address that is not."""
    addresses = await resolver(host, port)
    for address in addresses:
        reason = refusal(address, policy)
        if reason is not None:
            raise InvalidInput(
                f"url: {host} resolves to {address}, {reason}; webhooks go to public addresses only "
                "(CSHUB_WEBHOOK_ALLOW_LOOPBACK / CSHUB_WEBHOOK_ALLOW_PRIVATE_NETWORKS allow others)",
                field="url",
            )
    return addresses


async def check_destination(url: str, policy: AddressPolicy) -> str:
    """The URL, once every address its host resolves to is allowed; refused naming the address that is not."""
    url, host, port = checked_url(url)
    await allowed_addresses(host, port, policy)
    return url


class RefusedDestination(httpcore.ConnectError):
    """The guard refused the host's addresses (or it did not resolve): nothing was connected to."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the guard at the one moment that counts: ``connect_tcp`` resolves the host,
    checks every address and connects to a checked one (the next on a refused connection)."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver = resolve) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  # httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await allowed_addresses(host, port, self.policy, self.resolver)
        except InvalidInput as refused:
            raise RefusedDestination(refused.message) from None
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"{host} did not resolve within {timeout:g} s") from None
        failed: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failed = error
        raise failed or RefusedDestination(f"url: {host} resolves to no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  # httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedDestination("webhooks are not posted to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(policy: AddressPolicy, resolver: Resolver = resolve) -> httpx.AsyncHTTPTransport:
    """httpx's transport (its defaults, no proxy from the environment) connecting through ``GuardedBackend``."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx builds its pool with no way to name httpcore's network backend: the same pool, with the guarded one.
    # (Pinned by uv.lock; tests/test_webhook_ssrf.py fails if a new httpx no longer goes through it.)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=100,  # httpx's default limits
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(policy, resolver),
    )
    return transport
