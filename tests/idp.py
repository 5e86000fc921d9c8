"""A small OpenID Connect identity provider on 127.0.0.1 for the tests: discovery, JWKS, the
authorization endpoint (a login page with one button), and the token endpoint, which checks the
PKCE verifier against the challenge (S256), the client, the redirect address and the code's single use.

Keys are generated here (RSA 2048 and EC P-256); :meth:`TestIdp.rotate` adds a new signing key and
takes the old one out of the JWKS, as a real issuer's rotation does. Everything is in memory.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

CLIENT_ID = "ekbist-sida"
AUDIENCE = "api://ekbist"


class Key:
    def __init__(self, alg: str = "RS256") -> None:
        self.alg = alg
        self.kid = secrets.token_hex(8)
        if alg == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk.update(kid=self.kid, use="sig", alg=alg)


class TestIdp(ThreadingHTTPServer):
    __test__ = False  # not a test class, whatever pytest thinks of its name
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        host, port = self.server_address[:2]
        self.issuer = f"http://{host}:{port}"
        self.keys = [Key("RS256"), Key("ES256")]
        self.signing = self.keys[0]
        self.jwks_fetches = 0
        self.jwks_delay = 0.0
        self.jwks_path = "/jwks"  # where the discovery document says the keys are
        self.moved_keys: dict[str, list[Key]] = {}  # key sets at other addresses
        self.discovery_status = 200
        self.discovery_reads = 0
        self.user: dict[str, Any] = {"sub": "anna.handlaggare", "roles": ["handlaggare"], "kommun": "0180"}
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.lock = threading.Lock()

    # -- tokens -----------------------------------------------------------------------------------
    def token(self, key: Key | None = None, *, lifetime: int = 600, **claims: Any) -> str:
        key = key or self.signing
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "iat": now, "exp": now + lifetime, **self.user, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key.private, algorithm=key.alg, headers={"kid": key.kid})

    def rotate(self) -> Key:
        """A new signing key; the old one leaves the JWKS."""
        new = Key("RS256")
        self.keys = [new, *[k for k in self.keys if k is not self.signing]]
        self.signing = new
        return new

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk for k in self.keys]}

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}{self.jwks_path}",
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }

    def start(self) -> TestIdp:
        threading.Thread(target=self.serve_forever, name="test-idp", daemon=True).start()
        return self

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up is not the provider's error."""


def running_idp() -> Iterator[TestIdp]:
    """A started provider, shut down afterwards: what every test module's ``idp`` fixture yields."""
    provider = TestIdp().start()
    try:
        yield provider
    finally:
        provider.shutdown()


class _Handler(BaseHTTPRequestHandler):
    server: TestIdp

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _json(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        idp = self.server
        if url.path == "/.well-known/openid-configuration":
            with idp.lock:
                idp.discovery_reads += 1
            self._json(idp.metadata(), idp.discovery_status)
        elif url.path in idp.moved_keys:
            self._json({"keys": [k.jwk for k in idp.moved_keys[url.path]]})
        elif url.path == "/jwks":
            with idp.lock:
                idp.jwks_fetches += 1
            time.sleep(idp.jwks_delay)
            self._json(idp.jwks())
        elif url.path == "/authorize":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in q.items()
            )
            page = (
                '<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Kommunens inloggning</title></head>'
                f'<body><h1>Kommunens inloggning</h1><form method="post" action="/authorize">{fields}'
                f"<p>Användare: {html.escape(str(idp.user.get('sub')))}</p>"
                '<button type="submit">Logga in</button></form></body></html>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        else:
            self._json({"error": "not_found"}, 404)

    def _form(self) -> dict[str, str]:
        size = int(self.headers.get("Content-Length", "0"))
        return {k: v[0] for k, v in parse_qs(self.rfile.read(size).decode()).items()}

    def do_POST(self) -> None:
        idp = self.server
        form = self._form()
        if self.path == "/authorize":
            code = secrets.token_urlsafe(16)
            idp.codes[code] = {**form, "user": dict(idp.user)}
            target = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', '')})}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path != "/token":
            self._json({"error": "not_found"}, 404)
            return
        idp.token_requests.append(form)
        asked = idp.codes.pop(form.get("code", ""), None)  # a code is used once
        if asked is None or form.get("grant_type") != "authorization_code":
            self._json({"error": "invalid_grant"}, 400)
            return
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            asked.get("code_challenge_method") != "S256"
            or challenge != asked.get("code_challenge")
            or form.get("client_id") != asked.get("client_id")
            or form.get("redirect_uri") != asked.get("redirect_uri")
        ):
            self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            return
        user = asked["user"]
        access = idp.token(**user)
        id_token = idp.token(aud=CLIENT_ID, nonce=asked.get("nonce"), **{k: v for k, v in user.items() if k == "sub"})
        self._json({"access_token": access, "id_token": id_token, "token_type": "Bearer", "expires_in": 600})


def oidc_env(idp: TestIdp, **extra: str) -> dict[str, str]:
    """The server's settings for this provider (the client id turns on the page's login through it)."""
    return {
        "EKBIST_OIDC_UTFARDARE": idp.issuer,
        "EKBIST_OIDC_MOTTAGARE": AUDIENCE,
        "EKBIST_OIDC_KLIENT": CLIENT_ID,
        **extra,
    }
