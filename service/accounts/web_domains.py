"""An account's web domain as identity resolution compares it: the one normaliser ingest, the lookups
(``accountByDomain``) and the settings (shared e-mail domains) all use."""

import re

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normalize_domain(value: str) -> str:
    """``https://www.Acme.example/path`` → ``acme.example``: lower-case, no scheme, path, port or ``www.``.

    Raises ``ValueError`` with a readable message when what is left is not a host name.
    """
    domain = _SCHEME.sub("", value.strip().lower())
    domain = domain.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    domain = domain.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    if domain.startswith("www."):
        domain = domain[4:]
    if not _DOMAIN.match(domain):
        raise ValueError(f"{value!r} is not a domain name (expected something like 'acme.com')")
    return domain
