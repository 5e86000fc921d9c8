"""The kommun's own login: access tokens from its OpenID Connect issuer (Entra ID, Keycloak, a federation).

A token is accepted when it is signed RS256 or ES256 by a key in the issuer's JWKS, names the
configured issuer (``iss``) and audience (``aud``), has not expired, and lives no longer than the
server's maximum. The JWKS is cached (PyJWT's ``PyJWKClient``) and fetched again when a token names
an unknown ``kid`` (key rotation), at most once per cooldown so that made-up ``kid`` values cannot
turn the server into a flood against the issuer. Fetches run on a thread of their own: a slow issuer
holds up only the logins that need its new key, never the event loop or the database's threads.

Role and kommun come from configurable claims (a dotted path such as ``realm_access.roles``): the
role claim's values are mapped to ekbist's roles (``EKBIST_OIDC_ROLLER``), and exactly one must
match; two roles in one token are refused, because a caseworker who is also an auditor would audit
their own decisions (convention, docs/drift.rst). The kommun is a four-digit claim or the one group
that matches ``EKBIST_OIDC_KOMMUN_MONSTER``.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from api._refusal import LEEWAY_S, AuthError, check_lifetime, token_refused

ALGORITHMS = ("RS256", "ES256")
DOWN_PAUSE_S = 2.0  # after a failed fetch, how long logins that need the issuer fail at once (503)
# Convention (the facts are silent): the discovery document is read again after an hour, so an issuer
# that moves its endpoints or its key set is followed without a restart; while it cannot be read
# again, the last good one is used and asked for again after a minute.
METADATA_LIFESPAN_S = 3600.0
METADATA_RETRY_S = 60.0
DEFAULT_ROLES = {"handlaggare": "handlaggare", "revisor": "revisor", "regelforvaltare": "regelforvaltare"}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audience: str
    jwks_url: str | None = None
    role_claim: str = "roles"
    roles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    kommun_claim: str = "kommun"
    kommun_pattern: re.Pattern[str] = re.compile(r"^(\d{4})$")
    user_claim: str = "sub"
    client_id: str | None = None
    client_secret: str | None = None
    scope: str = "openid"
    cooldown_s: float = 5.0
    timeout_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str], problems: list[str]) -> OidcConfig | None:
        """The issuer's settings, or None when ``EKBIST_OIDC_UTFARDARE`` is unset; problems appended in Swedish."""
        issuer = env.get("EKBIST_OIDC_UTFARDARE", "").strip()
        if not issuer:
            stray = sorted(k for k, v in env.items() if k.startswith("EKBIST_OIDC_") and v)
            if stray:  # half a configuration would silently leave the kommun's login off
                problems.append(f"{', '.join(stray)} är satt men EKBIST_OIDC_UTFARDARE saknas")
            return None
        before = len(problems)
        for name, url in (("EKBIST_OIDC_UTFARDARE", issuer), ("EKBIST_OIDC_JWKS_URL", env.get("EKBIST_OIDC_JWKS_URL"))):
            if url and (why := _url_problem(url)):
                problems.append(f"{name}: {why}")
        audience = env.get("EKBIST_OIDC_MOTTAGARE", "").strip()
        if not audience:
            problems.append(
                "EKBIST_OIDC_MOTTAGARE saknas: den mottagare (aud) som kommunens token ska vara utfärdade för"
            )
        roles = dict(DEFAULT_ROLES)
        if env.get("EKBIST_OIDC_ROLLER"):
            roles = {}
            for part in filter(None, (p.strip() for p in env["EKBIST_OIDC_ROLLER"].split(","))):
                value, _, role = part.rpartition("=")
                if not value or role not in DEFAULT_ROLES:
                    problems.append(
                        f"EKBIST_OIDC_ROLLER: '{part}' ska vara värde=roll, där rollen är {', '.join(DEFAULT_ROLES)}"
                    )
                    continue
                roles[value] = role
        pattern = re.compile(r"^(\d{4})$")
        if env.get("EKBIST_OIDC_KOMMUN_MONSTER"):
            try:
                pattern = re.compile(env["EKBIST_OIDC_KOMMUN_MONSTER"])
            except re.error as exc:
                problems.append(f"EKBIST_OIDC_KOMMUN_MONSTER är inget giltigt reguljärt uttryck: {exc}")
            else:
                if pattern.groups != 1:
                    problems.append("EKBIST_OIDC_KOMMUN_MONSTER ska ha exakt en grupp, den som fångar kommunkoden")
        numbers: dict[str, float] = {}
        for name, default, low, high in (
            ("EKBIST_OIDC_NYCKELPAUS", 5.0, 0.0, 3600.0),
            ("EKBIST_OIDC_TIDSGRANS", 5.0, 0.5, 60.0),
        ):
            try:
                numbers[name] = float(env.get(name, default))
            except ValueError:
                problems.append(f"{name} ska vara ett tal (sekunder)")
                continue
            if not low <= numbers[name] <= high:
                problems.append(f"{name} ska ligga mellan {low:g} och {high:g} sekunder")
        if len(problems) > before:
            return None
        return cls(
            issuer=issuer.rstrip("/"),
            audience=audience,
            jwks_url=env.get("EKBIST_OIDC_JWKS_URL") or None,
            role_claim=env.get("EKBIST_OIDC_ROLL_ANSPRAK") or "roles",
            roles=roles,
            kommun_claim=env.get("EKBIST_OIDC_KOMMUN_ANSPRAK") or "kommun",
            kommun_pattern=pattern,
            user_claim=env.get("EKBIST_OIDC_ANVANDARE_ANSPRAK") or "sub",
            client_id=env.get("EKBIST_OIDC_KLIENT") or None,
            client_secret=env.get("EKBIST_OIDC_KLIENTHEMLIGHET") or None,
            scope=env.get("EKBIST_OIDC_OMFANG") or "openid",
            cooldown_s=numbers["EKBIST_OIDC_NYCKELPAUS"],
            timeout_s=numbers["EKBIST_OIDC_TIDSGRANS"],
        )


def _url_problem(url: str) -> str | None:
    """Only https, except on this machine (a test issuer): tokens' keys must not come over plain http."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS:
        return None
    return f"'{url}' ska vara en https-adress"


@dataclass(frozen=True)
class Identity:
    """Who a verified token names: user, role, kommun, and when the token ends (Unix time)."""

    anvandare: str
    roll: str
    kommun: str
    exp: float


class OidcVerifier:
    """Checks the issuer's access tokens; shared by every request of a worker process."""

    def __init__(self, config: OidcConfig, *, max_hours: float) -> None:
        self.config = config
        self.max_hours = max_hours
        self._metadata: dict[str, Any] | None = None
        self._metadata_due = 0.0  # when the discovery document is to be read again
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()
        # One thread for everything that waits on the issuer: a slow issuer queues logins behind it,
        # and nothing else.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="oidc")
        self._down_until = 0.0

    @staticmethod
    def claims_token(token: str) -> bool:
        """Is this a token for the issuer (signed with a key pair), rather than one of ekbist's own?"""
        try:
            return jwt.get_unverified_header(token).get("alg") in ALGORITHMS
        except jwt.PyJWTError:
            return False

    # -- the issuer's documents ------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (blocking; read again after METADATA_LIFESPAN_S)."""
        with self._lock:
            if self._metadata is not None and time.monotonic() < self._metadata_due:
                return self._metadata
            try:
                doc = self._read_metadata()
            except AuthError:
                if self._metadata is None:
                    raise
                self._metadata_due = time.monotonic() + METADATA_RETRY_S  # the last good one, for now
                return self._metadata
            if self._metadata is not None and doc.get("jwks_uri") != self._metadata.get("jwks_uri"):
                self._jwks = None  # the key set moved: a client for the new address
            self._metadata, self._metadata_due = doc, time.monotonic() + METADATA_LIFESPAN_S
            return doc

    def _read_metadata(self) -> dict[str, Any]:
        url = f"{self.config.issuer}/.well-known/openid-configuration"
        try:
            response = httpx.get(url, timeout=self.config.timeout_s, follow_redirects=False)
            response.raise_for_status()
            doc = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthError(503, f"kommunens inloggning svarar inte ({type(exc).__name__})") from None
        if not isinstance(doc, dict) or doc.get("issuer", "").rstrip("/") != self.config.issuer:
            raise AuthError(503, "kommunens inloggning beskriver en annan utfärdare än den konfigurerade")
        for name in ("jwks_uri", "authorization_endpoint", "token_endpoint"):
            if name in doc and (not isinstance(doc[name], str) or _url_problem(doc[name])):
                raise AuthError(503, f"kommunens inloggning anger en ogiltig adress för {name}")
        return doc

    def _client(self) -> jwt.PyJWKClient:
        # the discovery document, read again when due, says whether the key set has moved
        url = self.config.jwks_url or self.metadata().get("jwks_uri")
        if self._jwks is None:
            if not isinstance(url, str):
                raise AuthError(503, "kommunens inloggning anger ingen nyckelmängd (jwks_uri)")
            self._jwks = jwt.PyJWKClient(
                url, lifespan=600, timeout=self.config.timeout_s, cooldown_duration=self.config.cooldown_s
            )
        return self._jwks

    def _cached_key(self, kid: str) -> jwt.PyJWK | None:
        """The key from the cache alone (no network): the common case, answered on the event loop."""
        client = self._jwks
        cache = client.jwk_set_cache if client is not None else None
        found = cache.get() if cache is not None else None
        if found is None:
            return None
        return next((k for k in found.keys if k.key_id == kid and k.public_key_use in ("sig", None)), None)

    def _fetch_key(self, kid: str) -> jwt.PyJWK:
        if time.monotonic() < self._down_until:  # the issuer just failed: the logins queued behind it fail fast
            raise AuthError(503, "kommunens inloggning svarar inte; nycklarna kunde inte hämtas")
        try:
            return self._client().get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, AuthError) as exc:
            self._down_until = time.monotonic() + DOWN_PAUSE_S
            if isinstance(exc, AuthError):
                raise
            raise AuthError(503, "kommunens inloggning svarar inte; nycklarna kunde inte hämtas") from None
        except jwt.PyJWKClientError:
            raise AuthError(401, "token är signerad med en nyckel som utfärdaren inte har") from None
        except jwt.PyJWTError:
            raise AuthError(503, "utfärdarens nyckelmängd kan inte läsas") from None

    # -- tokens ------------------------------------------------------------------------------------
    async def verify(self, token: str) -> Identity:
        """The identity in an access token, or :class:`AuthError` (Swedish, never echoing the token)."""
        return self.identity(await self.claims(token, self.config.audience))

    async def claims(self, token: str, audience: str) -> dict[str, Any]:
        """A token's checked claims: signature by the issuer's key, issuer, audience, expiry."""
        if len(token) > 16384:
            raise AuthError(401, "ogiltig token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError(401, "ogiltig token") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS or not isinstance(kid, str) or not 0 < len(kid) <= 200:
            raise AuthError(401, "token ska vara signerad RS256 eller ES256 och ange sin nyckel (kid)")
        key = self._cached_key(kid)
        if key is None:
            key = await self._off_loop(self._fetch_key, kid)
        if key.algorithm_name not in (alg, None):
            raise AuthError(401, "ogiltig token")
        try:
            found: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=self.config.issuer,
                options={"require": ["exp", "iat", "iss", "aud"]},
                leeway=LEEWAY_S,
            )
        except jwt.PyJWTError as exc:
            raise token_refused(exc) from None
        return found

    async def _off_loop(self, fn: Any, *args: Any) -> Any:
        """On the issuer's thread; a caller waits at most two timeouts (its turn, then its own fetch)."""
        future = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        try:
            return await asyncio.wait_for(future, 2 * self.config.timeout_s + 1)
        except TimeoutError:
            raise AuthError(503, "kommunens inloggning svarar inte i tid") from None

    # -- the page's login: authorization code flow with PKCE (Authlib) ------------------------------
    def _oauth(self, redirect_uri: str) -> Any:
        AsyncOAuth2Client, _, _ = _authlib()
        cfg = self.config
        return AsyncOAuth2Client(
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            token_endpoint_auth_method="client_secret_basic" if cfg.client_secret else "none",
            scope=cfg.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=cfg.timeout_s,
            follow_redirects=False,
        )

    async def start_login(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The issuer's login address, and what the browser keeps until it comes back (state, PKCE
        verifier, nonce; in a signed HttpOnly cookie, so the verifier never goes to the issuer with
        the browser, only in ekbist's own token request)."""
        _, generate_token, _ = _authlib()
        meta = await self._off_loop(self.metadata)
        flow = {"state": generate_token(32), "verifier": generate_token(64), "nonce": generate_token(32)}
        async with self._oauth(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                meta["authorization_endpoint"], state=flow["state"], code_verifier=flow["verifier"], nonce=flow["nonce"]
            )
        return str(url), flow

    async def finish_login(self, redirect_uri: str, code: str, flow: Mapping[str, str]) -> Identity:
        """Exchange the code (with the PKCE verifier) and check what comes back: the access token as
        for the API, the ID token's signature, audience (the client) and nonce."""
        _, _, OAuthError = _authlib()
        meta = await self._off_loop(self.metadata)
        async with self._oauth(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    meta["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=flow["verifier"]
                )
            except OAuthError as exc:
                raise AuthError(401, f"kommunens inloggning godtog inte inloggningen ({exc.error})") from None
            except (httpx.HTTPError, ValueError) as exc:
                raise AuthError(503, f"kommunens inloggning svarar inte ({type(exc).__name__})") from None
        access, id_token = token.get("access_token"), token.get("id_token")
        if not isinstance(access, str):
            raise AuthError(401, "kommunens inloggning gav ingen åtkomsttoken")
        if isinstance(id_token, str):
            found = await self.claims(id_token, self.config.client_id or self.config.audience)
            if found.get("nonce") != flow.get("nonce"):
                raise AuthError(401, "inloggningen hör inte till den här webbläsaren (nonce)")
        elif "openid" in self.config.scope.split():
            raise AuthError(401, "kommunens inloggning gav ingen ID-token")
        return await self.verify(access)

    def identity(self, claims: Mapping[str, Any]) -> Identity:
        check_lifetime(claims, self.max_hours)
        cfg = self.config
        user = _claim(claims, cfg.user_claim)
        if not isinstance(user, str) or not 0 < len(user) <= 200 or not user.isprintable():
            raise AuthError(401, f"token ska ange användaren ({cfg.user_claim}) som en vanlig text om högst 200 tecken")
        found = {cfg.roles[v] for v in _values(_claim(claims, cfg.role_claim)) if v in cfg.roles}
        if not found:
            raise AuthError(403, "inloggningen ger ingen roll i ekbist; be kommunens behörighetsadministratör om en")
        if len(found) > 1:
            raise AuthError(
                403,
                f"inloggningen ger flera roller i ekbist ({', '.join(sorted(found))}); en inloggning ska ha en roll",
            )
        kommuner = set()
        for v in _values(_claim(claims, cfg.kommun_claim)):
            m = cfg.kommun_pattern.search(v)
            if m and re.fullmatch(r"\d{4}", m.group(1)):
                kommuner.add(m.group(1))
        if len(kommuner) != 1:
            raise AuthError(
                403,
                "inloggningen anger ingen kommun" if not kommuner else "inloggningen anger flera kommuner; ange en",
            )
        return Identity(user, found.pop(), kommuner.pop(), float(claims["exp"]))  # a number: check_lifetime

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _authlib() -> tuple[Any, Any, Any]:
    """Authlib's client, token maker and error. Authlib 1.9 warns on import that it will move to httpx2
    and sets its warnings to "always" (a stray line in the JSON log): imported here with both undone."""
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401  (its "always" filter goes in here, and out on leaving)

        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.common.security import generate_token
        from authlib.integrations.base_client import OAuthError
        from authlib.integrations.httpx_client import AsyncOAuth2Client
    return AsyncOAuth2Client, generate_token, OAuthError


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split() if " " in value else [value]  # a space-separated claim (like scope) too
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)][:1000]
    return []
