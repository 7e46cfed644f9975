"""OIDC/JWT bearer tokens: people calling through a front-end, beside API keys for machines.

``jwks.py`` keeps the issuer's signing keys (fetched once, refreshed when a token names an unknown ``kid``);
``tokens.py`` verifies a token (RS256/ES256 only, ``iss``, ``aud``, ``exp``/``nbf`` with a small leeway) and
maps its claims to a person and a role (``claims.py``).
"""
