"""A real OIDC issuer for the tests: its discovery document and JWKS over HTTP on loopback, and tokens minted
with joserfc (another JOSE library than the PyJWT that cshub verifies with)."""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeyParameters, RSAKey

AUDIENCE = "cshub-frontend"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Issuer:
    url: str
    keys: dict[str, RSAKey | ECKey] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)  # the kids the JWKS lists
    fetches: int = 0
    down: bool = False

    def add_key(self, kid: str, kind: str = "RSA") -> None:
        parameters: KeyParameters = {"kid": kid, "use": "sig"}
        key = (
            RSAKey.generate_key(2048, parameters=parameters)
            if kind == "RSA"
            else ECKey.generate_key("P-256", parameters=parameters)
        )
        self.keys[kid] = key
        self.published.append(kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.keys[kid].as_dict(private=False) for kid in self.published]}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "person-1",
            "email": "aiko@example.com",
            "name": "Aiko Tanaka",
            "cshub_role": "csm",
            "iat": now,
            "exp": now + 300,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(self, kid: str | None = None, *, alg: str | None = None, **claims: Any) -> str:
        kid = kid or self.published[0]
        key = self.keys[kid]
        alg = alg or ("RS256" if isinstance(key, RSAKey) else "ES256")
        return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, self.claims(**claims), key)

    def unsigned(self, **claims: Any) -> str:
        """``alg: none``: no signature at all."""
        header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        return f"{header}.{b64url(json.dumps(self.claims(**claims)).encode())}."

    def hmac_with_public_key(self, kid: str, **claims: Any) -> str:
        """HS256 keyed with the issuer's public key (which anyone has): the classic algorithm confusion."""
        header = b64url(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
        payload = b64url(json.dumps(self.claims(**claims)).encode())
        secret = self.keys[kid].as_pem(private=False)
        signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64url(signature)}"


@contextmanager
def running_issuer() -> Iterator[Issuer]:
    issuer: Issuer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if issuer.down:
                self.send_error(503)
                return
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks.json"}
            elif self.path == "/jwks.json":
                issuer.fetches += 1
                body = issuer.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer = Issuer(url=f"http://127.0.0.1:{server.server_address[1]}")
    issuer.add_key("key-1")
    # shutdown() waits for serve_forever to look again: every 0.5 s by default, 0.05 s here (per test, it adds up)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
