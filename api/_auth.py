"""Who may do what: the kommun's OpenID Connect tokens, ekbist's own (HS256) or API keys; the kommun
comes from the token.

handlaggare: compute, record decisions, list, read, replay their own kommun's decisions.
revisor: list, read and replay every kommun's decisions and read who read them; writes nothing.
regelforvaltare: read rules and amounts, compute; no decisions.
A link token (claims ``beslut`` and ``jti``) opens one decision's explanation page and nothing else.

Every token must carry a user (``sub``), a role, a four-digit ``kommun``, ``iat`` and ``exp``, and
may live at most the configured maximum (12 hours by default): a ten-year token is refused even
when its signature is good. A token signed RS256/ES256 goes to the configured issuer's checks
(:mod:`api._oidc`) and to nothing else; an HS256 token is checked with ekbist's own key only, so
neither kind can pass for the other. The security schemes are FastAPI's own, so OpenAPI describes them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from api import _logging
from api._oidc import OidcVerifier
from api._refusal import LEEWAY_S, check_lifetime, token_refused
from api._refusal import AuthError as AuthError  # raised by every way of logging in
from api._settings import KOMMUN, ROLES, Settings

ALGORITHM = "HS256"

PERMISSIONS: dict[str, frozenset[str]] = {
    "berakna": frozenset({"handlaggare", "regelforvaltare"}),
    "lasa_regler": frozenset({"handlaggare", "revisor", "regelforvaltare"}),
    "registrera_beslut": frozenset({"handlaggare"}),
    "lasa_beslut": frozenset({"handlaggare", "revisor"}),
    "lista_beslut": frozenset({"handlaggare", "revisor"}),
    "omprova": frozenset({"handlaggare", "revisor"}),
    "aterkrav": frozenset({"handlaggare", "revisor"}),
    "lasa_atkomst": frozenset({"revisor"}),
    "statistik": frozenset({"handlaggare", "revisor"}),
}
ALL_KOMMUNER = frozenset({"revisor"})
ACTION_SV = {
    "berakna": "beräkna",
    "lasa_regler": "läsa regler",
    "registrera_beslut": "registrera beslut",
    "lasa_beslut": "läsa beslut",
    "lista_beslut": "lista beslut",
    "omprova": "ompröva beslut",
    "aterkrav": "beräkna återkrav",
    "lasa_atkomst": "läsa åtkomstloggen",
    "statistik": "ta fram statistik",
}

bearer = HTTPBearer(
    auto_error=False, description="JWT: kommunens utfärdare (OpenID Connect, RS256/ES256) eller ekbist token (HS256)"
)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API-nyckel för maskinklienter")
link_param = APIKeyQuery(name="lank", auto_error=False, description="länktoken för en förklaringssida")


@dataclass(frozen=True)
class Principal:
    anvandare: str
    roll: str
    kommun: str
    beslut: str | None = None  # a link token for one decision
    lank_id: str | None = None

    @property
    def is_link(self) -> bool:
        return self.beslut is not None


def issue(
    settings: Settings,
    *,
    anvandare: str,
    roll: str,
    kommun: str,
    hours: float = 8,
    beslut: str | None = None,
    jti: str | None = None,
) -> str:
    """A signed token; raises ValueError (Swedish) for a role, kommun or lifetime the server would refuse."""
    if roll not in ROLES:
        raise ValueError(f"okänd roll '{roll}'; roller: {', '.join(ROLES)}")
    if not KOMMUN.match(kommun):
        raise ValueError(f"kommunkoden ska vara fyra siffror, inte '{kommun}'")
    if not 0 < hours <= settings.token_max_hours:
        raise ValueError(f"en token får gälla högst {settings.token_max_hours:g} timmar, inte {hours:g}")
    if not anvandare or len(anvandare) > 200 or not anvandare.isprintable():
        raise ValueError("användaren ska vara en vanlig text om högst 200 tecken")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": anvandare,
        "roll": roll,
        "kommun": kommun,
        "iat": now,
        "exp": now + max(1, int(hours * 3600)),
    }
    if beslut:
        claims["beslut"] = beslut
        claims["jti"] = jti or str(uuid.uuid4())
    return jwt.encode(claims, settings.jwt_key, algorithm=ALGORITHM)


def decode(settings: Settings, token: str) -> Principal:
    if len(token) > 4096:
        raise AuthError(401, "ogiltig token")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "roll", "kommun"]},
            leeway=LEEWAY_S,
        )
    except jwt.PyJWTError as exc:
        raise token_refused(exc) from None
    sub, roll, kommun = claims.get("sub"), claims.get("roll"), claims.get("kommun")
    if roll not in ROLES:
        raise AuthError(401, "token har en okänd roll")
    if not isinstance(kommun, str) or not KOMMUN.match(kommun):
        raise AuthError(401, "token ska ange en fyrsiffrig kommunkod (kommun)")
    if not isinstance(sub, str) or not 0 < len(sub) <= 200 or not sub.isprintable():
        raise AuthError(401, "token ska ange användaren (sub) som en vanlig text om högst 200 tecken")
    check_lifetime(claims, settings.token_max_hours)
    beslut, jti = claims.get("beslut"), claims.get("jti")
    if beslut is not None and (not isinstance(beslut, str) or not isinstance(jti, str) or len(jti) > 64):
        raise AuthError(401, "ogiltig länktoken")
    return Principal(sub, str(roll), kommun, beslut, jti if beslut is not None else None)


def authenticate(settings: Settings, authorization: str | None, key: str | None, link: str | None = None) -> Principal:
    """A bearer token, an API key, or (only where ``link`` is passed) a link token."""
    if key:
        k = settings.api_keys.get(key)
        if k is None:
            raise AuthError(401, "okänd API-nyckel")
        return Principal(k.anvandare, k.roll, k.kommun)
    if authorization:
        p = decode(settings, authorization)
        return p
    if link:
        p = decode(settings, link)
        if not p.is_link:
            raise AuthError(401, "en länk måste ha en länktoken för ett beslut")
        return p
    raise AuthError(401, "inloggning krävs: Authorization: Bearer <token> eller X-API-Key")


Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
ApiKeyValue = Annotated[str | None, Security(api_key)]
LinkValue = Annotated[str | None, Security(link_param)]


async def authenticate_request(
    request: Request, authorization: str | None, key: str | None, link: str | None = None
) -> Principal:
    """As :func:`authenticate`, with the kommun's issuer for its tokens; notes who is asking for the log."""
    settings: Settings = request.app.state.settings
    oidc: OidcVerifier | None = getattr(request.app.state, "oidc", None)
    if authorization and not key and oidc is not None and oidc.claims_token(authorization):
        who = await oidc.verify(authorization)
        p = Principal(who.anvandare, who.roll, who.kommun)
    else:
        p = authenticate(settings, authorization, key, link)
    _logging.note_user(p.anvandare, p.roll, p.kommun)
    return p


async def principal(request: Request, creds: Bearer, key: ApiKeyValue) -> Principal:
    """The caller, from a bearer token or an API key (FastAPI dependency; async because FastAPI runs a
    plain ``def`` dependency in a worker thread, a hop that cost more than checking the token)."""
    return await authenticate_request(request, creds.credentials if creds else None, key)


async def principal_or_link(request: Request, creds: Bearer, key: ApiKeyValue, lank: LinkValue) -> Principal:
    """As :func:`principal`, or a link token in ``?lank=`` (the explanation page only)."""
    return await authenticate_request(request, creds.credentials if creds else None, key, lank)


def require(p: Principal, action: str) -> None:
    if p.is_link:
        raise AuthError(403, "en länktoken gäller bara förklaringen av ett beslut")
    if p.roll not in PERMISSIONS[action]:
        raise AuthError(403, f"rollen {p.roll} får inte {ACTION_SV.get(action, action)}")


def sees_kommun(p: Principal, kommun: str) -> bool:
    return p.roll in ALL_KOMMUNER or p.kommun == kommun
