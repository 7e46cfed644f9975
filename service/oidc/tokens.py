"""Verify a bearer token and say who it names: the person's subject, email, display name and cshub role.

Only RS256 and ES256 signatures from the issuer's published keys are accepted: ``alg: none`` and HMAC
algorithms (which would let anyone holding the public key sign) are refused before any key is used. ``iss``
must be ``CSHUB_OIDC_ISSUER``, ``aud`` must include ``CSHUB_OIDC_AUDIENCE``, ``exp`` must be present, and
``exp``/``nbf``/``iat`` are checked with ``CSHUB_OIDC_LEEWAY_SECONDS`` of clock skew.
"""

from dataclasses import dataclass
from typing import Any

import jwt

from service.api_keys.roles import Role
from service.errors import AuthenticationRequired, PermissionDenied
from service.oidc.jwks import KeySet, UnknownSigningKey

ALGORITHMS = ("RS256", "ES256")
# When a token carries several cshub roles, the one that may do most is taken.
ROLE_PRECEDENCE = (Role.ADMIN, Role.CSM, Role.SALES, Role.BI)


@dataclass(frozen=True, slots=True)
class TokenRules:
    issuer: str
    audience: str
    role_claim: str
    roles: dict[str, str]  # claim value → cshub role name; empty: the values are cshub role names
    person_claim: str
    email_claim: str
    name_claim: str
    leeway_seconds: float


@dataclass(frozen=True, slots=True)
class Identity:
    issuer: str
    subject: str
    email: str | None
    display_name: str | None
    role: Role
    expires_at: float  # the token's `exp`, seconds since the epoch


def looks_like_a_token(secret: str) -> bool:
    """A compact JWS (three dot-separated parts); cshub's API keys have none."""
    return secret.count(".") == 2


async def verify(token: str, keys: KeySet, rules: TokenRules) -> Identity:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise AuthenticationRequired("the bearer token is not a well-formed JWT") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise AuthenticationRequired(
            f"bearer tokens signed with {algorithm!r} are not accepted; the issuer must sign with RS256 or ES256"
        )
    try:
        key = await keys.key_for(header.get("kid"))
    except UnknownSigningKey:
        raise AuthenticationRequired(
            f"the bearer token is signed with a key the issuer does not publish (kid {header.get('kid')!r})"
        ) from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=rules.audience,
            issuer=rules.issuer,
            leeway=rules.leeway_seconds,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationRequired("the bearer token has expired; get a new one from the identity provider") from None
    except jwt.ImmatureSignatureError:
        raise AuthenticationRequired("the bearer token is not valid yet (nbf or iat in the future)") from None
    except jwt.InvalidAudienceError:
        raise AuthenticationRequired(
            f"the bearer token is not meant for this API (aud must name {rules.audience!r})"
        ) from None
    except jwt.InvalidIssuerError:
        raise AuthenticationRequired(f"the bearer token was not issued by {rules.issuer}") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationRequired(f"the bearer token has no {exc.claim!r} claim") from None
    except jwt.InvalidTokenError:
        # Bad signature, a key of the wrong type for the algorithm, malformed claims.
        raise AuthenticationRequired("the bearer token's signature does not verify") from None
    return _identity(claims, rules)


def _identity(claims: dict[str, Any], rules: TokenRules) -> Identity:
    subject = _claim(claims, rules.person_claim)
    if not isinstance(subject, str | int) or str(subject) == "":
        raise AuthenticationRequired(f"the bearer token has no {rules.person_claim!r} claim naming the person")
    return Identity(
        issuer=rules.issuer,
        subject=str(subject),
        email=_text(_claim(claims, rules.email_claim)),
        display_name=_text(_claim(claims, rules.name_claim)),
        role=_role(_claim(claims, rules.role_claim), rules),
        expires_at=float(claims["exp"]),
    )


def _claim(claims: dict[str, Any], path: str) -> object:
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: object) -> str | None:
    return value.strip()[:200] or None if isinstance(value, str) else None


def _role(value: object, rules: TokenRules) -> Role:
    values = value if isinstance(value, list) else [value]
    named = {rules.roles.get(str(v), "" if rules.roles else str(v)) for v in values if isinstance(v, str)}
    for role in ROLE_PRECEDENCE:
        if role.value in named:
            return role
    raise PermissionDenied(
        f"the bearer token carries no cshub role in its {rules.role_claim!r} claim "
        f"({', '.join(sorted(rules.roles) or [r.value for r in ROLE_PRECEDENCE])} expected)"
    )
