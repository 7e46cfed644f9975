"""The SSRF guard: a webhook URL must name a public host, unless a setting allows loopback or private networks.

Checked when an endpoint is created or its URL changed (the refusal names the address), and again before every
attempt (a name may resolve elsewhere later: DNS rebinding). Redirects are never followed. What remains is the
moment between this check and the connection, which re-resolves the name; a receiver behind such a name would
need control of its DNS with a sub-second TTL.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

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


async def check_destination(url: str, policy: AddressPolicy) -> str:
    """The URL, once every address its host resolves to is allowed; refused naming the address that is not."""
    url, host, port = checked_url(url)
    for address in await resolve(host, port):
        reason = refusal(address, policy)
        if reason is not None:
            raise InvalidInput(
                f"url: {host} resolves to {address}, {reason}; webhooks go to public addresses only "
                "(CSHUB_WEBHOOK_ALLOW_LOOPBACK / CSHUB_WEBHOOK_ALLOW_PRIVATE_NETWORKS allow others)",
                field="url",
            )
    return url
